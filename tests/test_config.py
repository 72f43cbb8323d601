import pytest

from lib.config import Field, ParamsError, validate_section

SCHEMA = {
    "val_fraction": Field(float, low=0, high=1, low_open=True, high_open=True, default=0.1),
    "epochs": Field(int, low=1),
    "mode": Field(str, choices=("linear", "exp"), default="linear"),
    "seeds": Field(list, item_kind=int, low=0, default=[0]),
    "lr": Field(float, nullable=True, default=None),
}


def test_defaults_and_int_widening():
    out = validate_section({"s": {"epochs": 3, "lr": 1}}, "s", SCHEMA)
    assert out == {"val_fraction": 0.1, "epochs": 3, "mode": "linear", "seeds": [0], "lr": 1.0}


@pytest.mark.parametrize("section, message", [
    ({"epochs": 1, "val_fraction": 1.5}, r"s.val_fraction must be in \(0, 1\), got 1.5"),
    ({"epochs": 1, "val_fraction": 0}, r"s.val_fraction must be in \(0, 1\), got 0"),
    ({"epochs": 0}, r"s.epochs must be in \[1, inf\], got 0"),
    ({"epochs": 2.5}, "s.epochs must be int, got 2.5"),
    ({"epochs": True}, "s.epochs must be int, got True"),
    ({"epochs": "3"}, "s.epochs must be int, got '3'"),
    ({}, "s.epochs is missing"),
    ({"epochs": 1, "epoch": 2}, r"s.epoch is not a known key \(known: epochs, lr, mode, seeds, val_fraction\)"),
    ({"epochs": 1, "mode": "cos"}, "s.mode must be one of 'linear', 'exp', got 'cos'"),
    ({"epochs": 1, "seeds": []}, r"s.seeds must be a non-empty list, got \[\]"),
    ({"epochs": 1, "seeds": [0, -1]}, r"s.seeds\[1\] must be in \[0, inf\], got -1"),
    ({"epochs": 1, "val_fraction": float("nan")}, "s.val_fraction must be a finite number, got nan"),
    ({"epochs": 1, "val_fraction": None}, "s.val_fraction must be number, got null"),
])
def test_errors_name_the_key_and_the_value(section, message):
    with pytest.raises(ParamsError, match=message):
        validate_section({"s": section}, "s", SCHEMA)


def test_exponent_without_a_dot_is_a_number():
    # PyYAML reads `lr: 1e-3` as the string '1e-3'.
    assert validate_section({"s": {"epochs": 1, "lr": "1e-3"}}, "s", SCHEMA)["lr"] == 0.001
    with pytest.raises(ParamsError, match="s.lr must be number, got 'fast'"):
        validate_section({"s": {"epochs": 1, "lr": "fast"}}, "s", SCHEMA)


def test_missing_section_and_wrong_shapes():
    with pytest.raises(ParamsError, match="params section 's' is missing"):
        validate_section({}, "s", SCHEMA)
    with pytest.raises(ParamsError, match="params section 's' must be a mapping, got list"):
        validate_section({"s": [1]}, "s", SCHEMA)
