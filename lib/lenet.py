"""LeNet-5 in Keras 3 and the training loops of the learning-rate study (range test, scheduled fits)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from lib.errors import DivergenceError
from lib.schedules import divergence_index, smooth_losses


def build_lenet5(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10, *,
                 activation: str = "relu", pooling: str = "max") -> keras.Model:
    """The symmetric LeNet-5: conv 6@5x5 -> pool -> conv 16@5x5 -> pool -> dense 120 -> 84 -> classes.

    Every C3 map sees all six S2 maps (no 1998 connection table). Returns logits.
    """
    pools = {"max": layers.MaxPooling2D, "average": layers.AveragePooling2D}
    if pooling not in pools:
        raise ValueError(f"pooling must be one of {sorted(pools)}, got {pooling!r}")
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(6, 5, activation=activation, name="c1")(inputs)
    x = pools[pooling](2, name="s2")(x)
    x = layers.Conv2D(16, 5, activation=activation, name="c3")(x)
    x = pools[pooling](2, name="s4")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation=activation, name="c5")(x)
    x = layers.Dense(84, activation=activation, name="f6")(x)
    outputs = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="lenet5")


@keras.saving.register_keras_serializable(package="lib")
class StepwiseSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A schedule given as one value per optimizer step (the last value holds afterwards)."""

    def __init__(self, values):
        self.values = [float(v) for v in values]
        self._table = ops.convert_to_tensor(np.asarray(self.values, dtype=np.float32))

    def __call__(self, step):
        index = ops.minimum(ops.cast(step, "int32"), len(self.values) - 1)
        return ops.take(self._table, index)

    def get_config(self):
        return {"values": self.values}


@keras.saving.register_keras_serializable(package="lib")
class ScheduledMomentumSGD(keras.optimizers.SGD):
    """Keras SGD whose momentum follows a per-step table (cyclical momentum).

    Same update as keras.optimizers.SGD (non-Nesterov):
    v = m_t * v - lr_t * g;  w = w + v.
    """

    def __init__(self, learning_rate, momentum_values, **kwargs):
        kwargs.pop("momentum", None)
        super().__init__(learning_rate=learning_rate, momentum=float(momentum_values[0]), **kwargs)
        self.momentum_values = [float(m) for m in momentum_values]
        self._momentum_table = ops.convert_to_tensor(np.asarray(self.momentum_values, dtype=np.float32))

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        index = ops.minimum(ops.cast(self.iterations, "int32"), len(self.momentum_values) - 1)
        momentum = ops.cast(ops.take(self._momentum_table, index), variable.dtype)
        velocity = self.momentums[self._get_variable_index(variable)]
        self.assign(velocity, ops.subtract(ops.multiply(velocity, momentum), ops.multiply(gradient, lr)))
        self.assign_add(variable, velocity)

    def get_config(self):
        config = super().get_config()
        config["momentum_values"] = self.momentum_values
        return config


class _DivergenceGuard(keras.callbacks.Callback):
    """Raise DivergenceError when an epoch's mean training loss is NaN/inf (checked once an epoch: cheap)."""

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            raise DivergenceError(f"training diverged: mean loss is {loss} in epoch {epoch}")


def steps_per_epoch(n_samples: int, batch_size: int) -> int:
    return math.ceil(n_samples / batch_size)


def _cross_entropy() -> keras.losses.Loss:
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)  # the model outputs logits


def compile_lenet(model: keras.Model, lr_values, momentum_values=None) -> None:
    """SGD with a per-step LR table (and momentum table, if given), sparse CE from logits, accuracy."""
    schedule = StepwiseSchedule(lr_values)
    if momentum_values is None:
        optimizer = keras.optimizers.SGD(learning_rate=schedule)
    else:
        optimizer = ScheduledMomentumSGD(learning_rate=schedule, momentum_values=momentum_values)
    model.compile(optimizer=optimizer, loss=_cross_entropy(), metrics=["accuracy"])


def fit_scheduled(model: keras.Model, x_train, y_train, x_val, y_val, *, lr_values, epochs: int,
                  batch_size: int, momentum_values=None, verbose: int = 2) -> dict[str, list[float]]:
    """Compile ``model`` with the per-step schedule(s) and fit; returns Keras' per-epoch history + ``lr``.

    ``lr`` in the history is the LR of each epoch's first step. A NaN/inf epoch loss raises
    :class:`DivergenceError`.
    """
    per_epoch = steps_per_epoch(len(x_train), batch_size)
    if len(lr_values) != per_epoch * epochs:
        raise ValueError(f"{len(lr_values)} LR values for {per_epoch * epochs} steps")
    compile_lenet(model, lr_values, momentum_values)
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, shuffle=True,
                        validation_data=(x_val, y_val), callbacks=[_DivergenceGuard()], verbose=verbose)
    out = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    out["lr"] = [float(lr_values[e * per_epoch]) for e in range(epochs)]
    return out


@dataclass
class RangeTestResult:
    lrs: np.ndarray        # LR of each batch that ran
    losses: np.ndarray     # that batch's training loss
    smoothed: np.ndarray   # bias-corrected EMA of the losses
    stopped_early: bool


def lr_range_test(model: keras.Model, x, y, lrs, *, batch_size: int, seed: int, beta: float = 0.98,
                  stop_factor: float = 4.0) -> RangeTestResult:
    """One epoch of SGD with the LR set to ``lrs[i]`` before batch i, recording every batch's loss.

    Stops once the smoothed loss is NaN/inf or above ``stop_factor`` x its best. The model's
    weights are restored afterwards, so the sweep does not leak into later training.
    """
    n_batches = steps_per_epoch(len(x), batch_size)
    if len(lrs) != n_batches:
        raise ValueError(f"{len(lrs)} LR values for {n_batches} batches")
    initial = model.get_weights()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=float(lrs[0])), loss=_cross_entropy())
    order = np.random.default_rng(seed).permutation(len(x))
    losses: list[float] = []
    stopped = False
    try:
        for i, lr in enumerate(lrs):
            model.optimizer.learning_rate.assign(float(lr))
            idx = order[i * batch_size:(i + 1) * batch_size]
            losses.append(float(model.train_on_batch(x[idx], y[idx])))
            # Re-smoothing the whole list each batch is O(n^2) but n is one epoch of batches.
            if divergence_index(smooth_losses(losses, beta), stop_factor) is not None:
                stopped = True
                break
    finally:
        model.set_weights(initial)
    smoothed = smooth_losses(losses, beta)
    return RangeTestResult(np.asarray(lrs[:len(losses)], dtype=np.float64), np.asarray(losses), smoothed, stopped)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TF ops deterministic: same seed, same metrics."""
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
