"""What the Curation menu does: turns the selection into `CurationController` calls, asks for
paths, and reports what happened."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.dialogs.label_category import LabelCategory
from app.jobs import Job, JobManager
from app.model.curation_controller import CurationController
from app.model.session import Session
from app.model.similarity import most_similar_unit
from core.curation import list_phy_backups
from core.curation.phy_export import BACKUP_FOLDER

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
    templates : callable
        ``() -> {unit_id: template}``: what unit similarity compares.
    ask_label_category : callable
        ``(existing names) -> LabelCategory | None``: the Add Label Category dialog.
    inform : callable
        ``(title, text)``: a message the user must read (a dialog).
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
        templates: Callable[[], dict],
        ask_label_category: Callable[[list], LabelCategory | None],
        inform: Callable[[str, str], None],
    ) -> None:
        self.session = session
        self.controller = controller
        self.jobs = jobs
        self.ask_save_file = ask_save_file
        self.ask_folder = ask_folder
        self.ask_yes_no = ask_yes_no
        self.report = report
        self.templates = templates
        self.ask_label_category = ask_label_category
        self.inform = inform

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
            "add_label_category": self._guard(self.add_label_category),
            "merge": self._guard(lambda: controller.merge(selected())),
            "split": self._guard(controller.split_selected_spikes),
            "remove": self._guard(lambda: controller.remove(selected())),
            "select_similar": self._guard(self.select_most_similar),
            "merge_similar": self._guard(self.merge_with_most_similar),
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
        order = [u for u in session.ordered_unit_ids() if u not in hidden]
        if not order:
            return
        current = [order.index(u) for u in session.selected_unit_ids if u in order]
        if not current:
            position = 0 if step > 0 else len(order) - 1
        else:
            position = (max(current) + 1) if step > 0 else (min(current) - 1)
        session.select_units([order[min(max(position, 0), len(order) - 1)]])

    def most_similar(self):
        """The visible unit whose template is most like the first selected unit's.

        Raises
        ------
        ValueError
            When no unit is selected or templates are not known yet.
        """
        session = self.session
        if not session.selected_unit_ids:
            raise ValueError("select a unit first")
        unit = session.selected_unit_ids[0]
        hidden = set(session.hidden_unit_ids) | set(session.selected_unit_ids)
        candidates = [u for u in session.sorting.unit_ids.tolist() if u not in hidden]
        similar = most_similar_unit(self.templates(), unit, candidates)
        if similar is None:
            raise ValueError(
                "the units' templates are not known yet (they are estimated in the background, "
                "see the Jobs panel)"
            )
        return similar

    def select_most_similar(self) -> None:
        """Add the unit most similar to the selected one to the selection."""
        similar = self.most_similar()
        self.session.select_units([self.session.selected_unit_ids[0], similar])

    def merge_with_most_similar(self) -> None:
        """Merge the selected unit with the unit most similar to it."""
        similar = self.most_similar()
        self.controller.merge([self.session.selected_unit_ids[0], similar])

    def add_label_category(self) -> None:
        """Ask for a new label category and add it to the curation."""
        category = self.ask_label_category(list(self.controller.label_definitions))
        if category is None:
            return
        self.controller.add_label_category(category.name, category.options, category.exclusive)
        self.report(
            "Add Label Category",
            f"Added the label category {category.name!r}: right-click units in the table to "
            "label them.",
            False,
        )

    def label(self, unit_ids: list, key: str, value) -> None:
        """Label units with an option of a category (None clears it); errors are reported."""
        self._guard(lambda: self.controller.label(unit_ids, value, key=key))()

    def toggle_label(self, unit_ids: list, key: str, option: str, on: bool) -> None:
        """Tick or untick an option of a non-exclusive category; errors are reported."""
        self._guard(lambda: self.controller.toggle_label(unit_ids, key, option, on))()

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
        """Write the curation into the phy folder after confirming; says where the backups are
        and to reopen the folder in phy."""
        folder = self.controller.phy_folder()
        backups = list_phy_backups(folder)
        earlier = (
            f"\n\nThis folder was written back {len(backups)} time(s) before; its original files "
            f"stay in {backups[-1]}."
            if backups
            else ""
        )
        if not self.ask_yes_no(
            "Write Back to phy Folder",
            f"Write the curated units into {folder} (spike_clusters.npy, cluster_group.tsv, "
            "cluster_info.tsv)?\n\nThe files it replaces are first copied to a new "
            f"timestamped folder in {folder / BACKUP_FOLDER}.{earlier}\n\nIf phy has this folder "
            "open, close it there first without saving (phy would write its own files over "
            "these).",
        ):
            return
        result = self.controller.write_back_to_phy()
        original = list_phy_backups(folder)[-1]
        self.inform(
            "Write Back to phy Folder",
            f"Wrote {len(result.cluster_ids)} clusters into {folder}.\n\nThe files it replaced "
            f"are in {result.backup_folder}; the folder's original files are in {original}."
            "\n\nReopen the folder in phy to see the curation there. You can go on curating here "
            "and write back again.",
        )

    def _guard(self, command: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                command()
            except (ValueError, OSError) as error:
                self.report("Curation", str(error), True)

        return run
