"""DVC stage entry points: each module is run as ``python -m stages.<name>``."""

import os

# TensorFlow's C++ start-up chatter (CPU feature notes, oneDNN) drowns the stage output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
