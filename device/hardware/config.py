"""Strict config models for device.hardware (the ``[hardware]`` section of the device config).

One model per section, unknown keys refused, every field described.  Pins are
BCM GPIO numbers; the defaults match the wiring table in docs/hardware.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: BCM pins of SPI0: CE1, CE0, MISO, MOSI, SCLK.
_SPI0_PINS = (7, 8, 9, 10, 11)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Mfrc522Config(_Section):
    """An MFRC522 module on the Pi's SPI bus."""

    kind: Literal["mfrc522"] = Field(default="mfrc522", description="reader backend: MFRC522 over SPI")
    spi_bus: int = Field(default=0, ge=0, le=6, description="SPI bus: 0 for /dev/spidev0.*")
    spi_device: int = Field(default=0, ge=0, le=3, description="chip select: 0 = CE0 (GPIO8, header pin 24)")
    spi_speed_hz: int = Field(
        default=1_000_000,
        ge=100_000,
        le=10_000_000,
        description="SPI clock; lower it for long wires",
    )
    reset_pin: int = Field(
        default=25, ge=0, le=27, description="BCM GPIO wired to the module's RST (header pin 22)"
    )
    poll_interval_s: float = Field(
        default=0.1, gt=0, le=2.0, description="pause between polls of the card field"
    )


class UsbHidConfig(_Section):
    """A USB reader that types the UID like a keyboard, then Enter."""

    kind: Literal["usb_hid"] = Field(default="usb_hid", description="reader backend: USB keyboard wedge")
    device_path: str = Field(
        description="evdev device, preferably stable: /dev/input/by-id/usb-...-event-kbd"
    )
    grab: bool = Field(
        default=True,
        description="take the device exclusively so its digits never reach other programs",
    )
    number_format: Literal["auto", "hex", "decimal"] = Field(
        default="auto",
        description="what the reader types; auto: hex if 8/14/20 chars or A-F seen, else decimal",
    )
    byte_order: Literal["msb_first", "lsb_first"] = Field(
        default="msb_first",
        description="lsb_first if the reader reverses the UID bytes (common for decimal output)",
    )


class SimulatedConfig(_Section):
    """A reader fed by code or a demo script; no hardware."""

    kind: Literal["simulated"] = Field(default="simulated", description="reader backend: simulation")


ReaderConfig = Annotated[Mfrc522Config | UsbHidConfig | SimulatedConfig, Field(discriminator="kind")]


class TapConfig(_Section):
    """How raw reads become taps (see device.hardware.reader.taps)."""

    repeat_window_s: float = Field(
        default=3.0,
        ge=0,
        le=60,
        description="the same tag again within this long after it was last seen is the same tap",
    )
    confirm_reads: int | None = Field(
        default=None,
        ge=1,
        le=10,
        description="reads in a row before a tag counts; default 2 for mfrc522, 1 for the others",
    )


class FeedbackConfig(_Section):
    """Green and red LEDs and a buzzer on GPIO (BCM numbers), or silence."""

    kind: Literal["gpio", "silent"] = Field(
        default="gpio", description="gpio: LEDs and buzzer via gpiozero; silent: no GPIO"
    )
    green_led_pin: int = Field(default=17, ge=0, le=27, description="green LED (OK), header pin 11")
    red_led_pin: int = Field(
        default=27, ge=0, le=27, description="red LED (unknown tag, error), header pin 13"
    )
    buzzer_pin: int | None = Field(
        default=22, ge=0, le=27, description="buzzer, header pin 15; null: no buzzer"
    )
    buzzer_type: Literal["active", "passive"] = Field(
        default="active",
        description="active: has its own oscillator (on/off); passive: driven by PWM",
    )
    buzzer_frequency_hz: float = Field(
        default=2700.0, gt=20, le=10_000, description="tone of a passive buzzer"
    )
    active_high: bool = Field(default=True, description="False if the outputs are wired to sink current")


class HardwareConfig(_Section):
    """The hardware of one hallway terminal."""

    reader: ReaderConfig = Field(
        default_factory=lambda: Mfrc522Config(),
        description="the tag reader backend and its options",
    )
    taps: TapConfig = Field(default_factory=lambda: TapConfig(), description="tap filtering")
    feedback: FeedbackConfig = Field(default_factory=lambda: FeedbackConfig(), description="LEDs and buzzer")

    @model_validator(mode="after")
    def _pins_do_not_clash(self) -> HardwareConfig:
        used: dict[int, str] = {}
        if isinstance(self.reader, Mfrc522Config):
            if self.reader.spi_bus == 0:
                used.update({pin: "SPI0" for pin in _SPI0_PINS})
            if self.reader.reset_pin in used:
                raise ValueError(f"reader.reset_pin GPIO{self.reader.reset_pin} is an SPI0 pin")
            used[self.reader.reset_pin] = "reader.reset_pin"
        if self.feedback.kind == "gpio":
            for name in ("green_led_pin", "red_led_pin", "buzzer_pin"):
                pin = getattr(self.feedback, name)
                if pin is None:
                    continue
                if pin in used:
                    raise ValueError(f"feedback.{name} GPIO{pin} is already used by {used[pin]}")
                used[pin] = f"feedback.{name}"
        return self
