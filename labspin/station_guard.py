"""The safety guard of a station of several bars: the limits with the present bar, and
the same limits for any other (a queue plan checks each run against the bar it will
measure, whose cross-section sets the current density)."""

from __future__ import annotations

from labspin.safety import SafetyGuard
from labspin.stationfile import StationFile


class StationGuard(SafetyGuard):
    """The limits with the present bar, and the same limits for any bar of the station
    (a queue plan checks each run against the bar it will measure)."""

    def __init__(self, config: StationFile) -> None:
        super().__init__(config.limits, config.sample, config.name)
        object.__setattr__(self, "_config", config)

    def for_sample(self, sample_id: str | None) -> SafetyGuard:
        """The guard for bar ``sample_id`` (None: the present one); StationFileError
        naming the station's bars for an unknown id."""
        if sample_id is None or str(sample_id) == self.sample.id:
            return self
        config = self._config
        return StationGuard(config.model_copy(
            update={"sample": config.sample_by_id(str(sample_id))}))

    @property
    def sample_ids(self) -> list[str]:
        return [s.id for s in self._config.chip()]

    @property
    def default_sample_id(self) -> str:
        """The bar a run without a sample of its own measures: the station file's
        default_sample, else its first bar."""
        config = self._config
        return config.default_sample or config.chip()[0].id


def station_guard(config: StationFile) -> StationGuard:
    """The safety guard of a station file, for its present bar and any other."""
    return StationGuard(config)
