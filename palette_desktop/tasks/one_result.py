"""When more candidates would be one picture: say why, and make one.

Candidates differ only by the noise each one's walk starts from. Two cases give the same
picture whatever that noise is, and there more candidates only cost time:

- a model that does not look at the noise: the bundled placeholder is untrained and
  returns its condition, so its candidates are byte for byte the same;
- Clean Up when the quality gives its walk a single network evaluation per tile (draft
  and balanced with the bundled shares): that one evaluation, from pure noise, is the
  network's estimate of the clean photo given the JPEG, and another noise moves it by
  speckle only (0.8 of 255 on average with the first CPU-trained round), not to another
  answer to choose from.
"""

from __future__ import annotations

from palette_desktop.core.conditions import Task
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.common import SamplingOptions, Walk, network_steps


def one_result_reason(task: Task, options: SamplingOptions, model: LoadedModel) -> str | None:
    """Why ``task`` gives one picture however many candidates ``options`` ask for; None when they differ."""
    if task is Task.JPEG and network_steps(Walk.RESTORE, options.steps, model) == 1:
        return "at this quality Clean Up is one estimate from the photo, which another seed changes only by noise"
    if model.ignores_noise:
        return f"the model {model.manifest.name} gives the same result whatever the seed (it is untrained)"
    return None
