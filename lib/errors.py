"""The base class of errors caused by the user's inputs (params, data, divergent training)."""


class PipelineError(Exception):
    """An error a user can fix; stages report it as one line instead of a traceback."""


class DivergenceError(PipelineError, FloatingPointError):
    """Training produced a NaN or infinite loss."""
