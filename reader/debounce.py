"""Running an action once input pauses: filters and searches that follow typing."""

from __future__ import annotations

from collections.abc import Callable

from textual.message_pump import MessagePump
from textual.timer import Timer


class Debounce:
    """Runs an action once `delay` seconds pass without another `restart`.

    Args:
        owner: The screen or widget whose timer waits (it stops with its owner).
        delay: Seconds to wait after the last restart.
        action: What to run, with no arguments.
    """

    def __init__(self, owner: MessagePump, delay: float, action: Callable[[], object]) -> None:
        self._owner = owner
        self._delay = delay
        self._action = action
        self._timer: Timer | None = None

    def restart(self) -> None:
        """Wait `delay` seconds again before running the action."""
        self.cancel()
        self._timer = self._owner.set_timer(self._delay, self._run)

    def cancel(self) -> None:
        """Do not run the action that is waiting, if any."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _run(self) -> None:
        self._timer = None
        self._action()
