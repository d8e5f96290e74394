"""What the Curation menu does: turns the selection into `CurationController` calls, asks for
paths, and reports what happened."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.jobs import Job, JobManager
from app.model.curation_controller import CurationController
from app.model.session import Session

JSON_FILTER = "SpikeInterface curation (*.json)"


class CurationCommands:
    """The Curation menu's commands.

    Parameters
    ----------
    session : Session
    controller : CurationController
    jobs : JobManager
        Saves of curated sortings run as jobs.
    ask_save_file : callable
        ``(caption, name_filter) -> path`` ("" when cancelled).
    ask_folder : callable
        ``(caption) -> path`` ("" when cancelled): a new folder to write.
    ask_yes_no : callable
        ``(title, text) -> bool``.
    report : callable
        ``(title, text, error: bool)``: tell the user.
    """

    def __init__(
        self,
        session: Session,
        controller: CurationController,
        jobs: JobManager,
        ask_save_file: Callable[[str, str], str],
        ask_folder: Callable[[str], str],
        ask_yes_no: Callable[[str, str], bool],
        report: Callable[[str, str, bool], None],
    ) -> None:
        self.session = session
        self.controller = controller
        self.jobs = jobs
        self.ask_save_file = ask_save_file
        self.ask_folder = ask_folder
        self.ask_yes_no = ask_yes_no
        self.report = report

    def commands(self) -> dict[str, Callable[[], None]]:
        """Menu action name -> command."""
        selected = lambda: list(self.session.selected_unit_ids)  # noqa: E731
        controller = self.controller
        return {
            "undo": self._guard(controller.undo),
            "redo": self._guard(controller.redo),
            "label_good": self._guard(lambda: controller.label(selected(), "good")),
            "label_mua": self._guard(lambda: controller.label(selected(), "mua")),
            "label_noise": self._guard(lambda: controller.label(selected(), "noise")),
            "label_clear": self._guard(lambda: controller.label(selected(), None)),
            "merge": self._guard(lambda: controller.merge(selected())),
            "split": self._guard(controller.split_selected_spikes),
            "remove": self._guard(lambda: controller.remove(selected())),
            "next_unit": lambda: self.step_unit(+1),
            "previous_unit": lambda: self.step_unit(-1),
            "export_curation": self._guard(self.export_curation),
            "save_curated": self._guard(self.save_curated_sorting),
            "phy_write_back": self._guard(self.write_back_to_phy),
        }

    def step_unit(self, step: int) -> None:
        """Select the unit after (``step`` > 0) or before the selection, in the units table's
        order (hidden units skipped)."""
        session = self.session
        if session.sorting is None:
            return
        hidden = set(session.hidden_unit_ids)
        order = [u for u in _unit_order(session) if u not in hidden]
        if not order:
            return
        current = [order.index(u) for u in session.selected_unit_ids if u in order]
        if not current:
            position = 0 if step > 0 else len(order) - 1
        else:
            position = (max(current) + 1) if step > 0 else (min(current) - 1)
        session.select_units([order[min(max(position, 0), len(order) - 1)]])

    def export_curation(self) -> None:
        """Write the curation as SpikeInterface curation JSON."""
        path = self.ask_save_file("Export Curation", JSON_FILTER)
        if not path:
            return
        path = Path(path).with_suffix(".json")
        backup = self.controller.save_curation_json(path)
        kept = f"\nThe file it replaced was kept as {backup}." if backup else ""
        self.report("Export Curation", f"Wrote {path}.{kept}", False)

    def save_curated_sorting(self) -> None:
        """Save the curated sorting to a new folder, in the background."""
        folder = self.ask_folder("Save Curated Sorting As")
        if not folder:
            return
        sorting = self.controller.curation.sorting

        def save(progress, cancel):
            return sorting.save(folder=Path(folder))

        job = Job(f"Save curated sorting as {Path(folder).name}", save)
        job.signals.finished.connect(
            lambda _saved: self.report("Save Curated Sorting", f"Saved {folder}.", False)
        )
        self.jobs.submit(job)

    def write_back_to_phy(self) -> None:
        """Write the curation into the phy folder after confirming; names the backup."""
        if not self.ask_yes_no(
            "Write Back to phy Folder",
            "Write the curated units into the phy folder (spike_clusters.npy, cluster_group.tsv, "
            "cluster_info.tsv)?\n\nThe files it replaces are first copied to a timestamped "
            "backup folder beside them.",
        ):
            return
        result = self.controller.write_back_to_phy()
        self.report("Write Back to phy Folder", f"Done. {result}", False)

    def _guard(self, command: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                command()
            except ValueError as error:
                self.report("Curation", str(error), True)

        return run


def _unit_order(session: Session) -> list:
    ordered = getattr(session, "ordered_unit_ids", None)
    return ordered() if ordered is not None else session.sorting.unit_ids.tolist()
