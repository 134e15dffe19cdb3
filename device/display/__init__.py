"""The hallway touchscreen: pygame screens over the terminal core.

* :mod:`device.display.controller` turns taps and touches into decisions on the
  :class:`~device.core.Terminal` and builds the :class:`~device.display.view.View`
  the screens draw (no pygame here).
* :mod:`device.display.screens` holds one small class per screen: view in,
  drawing and buttons out, touch in, intent out; no I/O.
* :mod:`device.display.ui` owns the pygame surface; :mod:`device.display.loop`
  runs frames, the reader, the simulation script and the systemd watchdog.
"""
