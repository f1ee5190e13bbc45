"""The panels' controls: numbers to drag or type, the wafer toggle."""

from __future__ import annotations

import html
import numbers

import ipywidgets as w
import traitlets

__all__ = ["NumberControl", "number", "variation_slider", "chip_slider", "wafer_toggle",
           "STYLE"]

#: Room for the controls' descriptions.
STYLE = {"description_width": "110px"}


class NumberControl(w.VBox):
    """A number the user may drag (a slider that changes on release) or type (a text
    box next to it). Typed text is parsed and checked in Python: a bad entry leaves
    the value as it was and says why under the control, in words.

    ``control.value`` and ``control.observe(..., names="value")`` work as on a slider;
    setting ``value`` out of range raises ValueError.
    """

    value = traitlets.Any()

    def __init__(self, description: str, value, low, high, step) -> None:
        self.integer = all(isinstance(v, int) for v in (value, low, high, step))
        self.description, self.low, self.high = description, low, high
        cls = w.IntSlider if self.integer else w.FloatSlider
        self.slider = cls(value=value, min=low, max=high, step=step,
                          description=description, continuous_update=False,
                          readout=False, style=STYLE, layout=w.Layout(width="260px"))
        self.text = w.Text(value=self._format(value), continuous_update=False,
                           layout=w.Layout(width="70px"))
        self.text.add_class("bss1lab-number")
        self.message = w.HTML("", layout=w.Layout(display="none"))
        self.message.add_class("bss1lab-number-message")
        super().__init__([w.HBox([self.slider, self.text]), self.message])
        self.value = value
        self.slider.observe(lambda change: self._set(change["new"]), names="value")
        self.text.observe(lambda change: self._typed(change["new"]), names="value")

    def _format(self, value) -> str:
        return f"{value:d}" if self.integer else f"{value:g}"

    def refusal(self, got) -> str:
        """Why ``got`` is not a value of this control, in words."""
        kind = "a whole number" if self.integer else "a number"
        return (f"{self.description} must be {kind} between {self._format(self.low)} "
                f"and {self._format(self.high)}; got {got!r}")

    @traitlets.validate("value")
    def _check(self, proposal):
        value = proposal["value"]
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
                (self.integer and value != int(value)) or not self.low <= value <= self.high:
            raise ValueError(self.refusal(value))
        return int(value) if self.integer else float(value)

    @traitlets.observe("value")
    def _show_value(self, change) -> None:
        self.slider.value = change["new"]
        self.text.value = self._format(change["new"])
        self.message.value = ""
        self.message.layout.display = "none"

    def _set(self, value) -> None:
        if value != self.value:
            self.value = value

    def _typed(self, text: str) -> None:
        if text.strip() == self._format(self.value):  # the value as shown (or echoed)
            return
        try:
            value = float(text.strip())
            if self.integer and value == int(value):
                value = int(value)
            self._set(value)
        except (ValueError, OverflowError):
            self.message.value = (f"<span style='color:#b00'>{html.escape(self.refusal(text))}"
                                  f" (kept {self._format(self.value)})</span>")
            self.message.layout.display = None
            return
        self.text.value = self._format(self.value)  # normalised: "2.50" -> "2.5"


def number(description: str, value, low, high, step) -> NumberControl:
    """A number control (slider and text box); integer when all its numbers are ints."""
    return NumberControl(description, value, low, high, step)


def variation_slider() -> NumberControl:
    """The scale of the fixed-pattern noise: 0 perfect circuits, 1 as measured."""
    return number("variation", 1.0, 0.0, 2.0, 0.1)


def chip_slider() -> NumberControl:
    """The wafer seed: one seed is one chip."""
    return number("chip (wafer seed)", 0, 0, 20, 1)


def wafer_toggle() -> w.ToggleButtons:
    """The emulated wafer or the ideal reference."""
    return w.ToggleButtons(options=["emulated wafer", "ideal"], value="emulated wafer",
                           style={"button_width": "auto"})  # as wide as "emulated wafer"
