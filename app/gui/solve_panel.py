"""The solve panel: pick a solver and its limits, solve or re-optimize, watch it converge.

Solving runs on a background thread (:mod:`opsplan.app.gui.solve_worker`); the
event loop keeps running, Cancel stops the solve within about a second. A
result with a schedule is added to the plan as a new schedule named after what made it
(``cpsat``, ``cpsat 10s``, ``dispatch:mwkr re-opt``, see :mod:`~opsplan.app.gui.plan_names`;
one undoable command) and becomes current; without one the status line says why.

*Solve* uses the current schedule as a warm start when it passes the checker.
*Re-optimize* keeps the current schedule's pinned tasks exactly
(resource and start) and re-plans the rest from the current schedule.

Learned dispatch policies are solvers too: the shipped ones come from the
registry, *Open policy file…* adds any ``.onnx`` file that passes
:func:`~opsplan.policies.runtime.load_policy`. For a policy the panel shows the
number of rollouts (*Samples*, 1 = greedy) and the ONNX Runtime provider it
will run on; the schedule a policy returns keeps its decision trace (schedule
extras ``"trace"``) for the replay panel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsplan.app.gui.chart import ConvergenceChart
from opsplan.app.gui.document import PlanDocument
from opsplan.app.gui.plan_names import limit_hit, plan_name
from opsplan.app.gui.replay_panel import with_trace
from opsplan.app.gui.solve_worker import SolveWorker, start_solve
from opsplan.models.errors import OpsPlanError
from opsplan.solvers import PINS, Params, Progress, Result, SolutionStatus, Termination
from opsplan.solvers import registry as reg
from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

DEFAULT_SOLVER = "cpsat"
POLICY = "policy"
MAX_SAMPLES = 4096


def is_policy(name: str) -> bool:
    """Whether solver ``name`` is a learned dispatch policy (``policy:<name or path>``)."""
    return name.split(":", 1)[0] == POLICY


def provider_text() -> str:
    """Where a policy solve will run, for people: ``runs on CPUExecutionProvider (CUDA: <why not>)``."""
    try:
        from opsplan.policies.runtime import CPU, CUDA, available_providers, choose_providers, cuda_unavailable_reason

        chosen = choose_providers(None)[0]
        text = f"runs on {chosen}"
        if chosen == CPU:
            if CUDA not in available_providers():
                text += f" (CUDA: {cuda_unavailable_reason() or 'not available'})"
            else:
                text += " (CUDA works but was not asked for)"
        return text
    except Exception as exc:  # noqa: BLE001 - onnxruntime missing or a bad OPSPLAN_ORT_PROVIDER: say so
        return f"cannot run policies: {' '.join(str(exc).split())}"


def fmt_value(v: float | None) -> str:
    """An objective or bound for people: integers without decimals, others with up to 2."""
    if v is None:
        return "–"
    if abs(v - round(v)) < 1e-6:
        return f"{round(v):,}"
    return f"{v:,.2f}"


def rel_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    if objective == bound:
        return 0.0
    return abs(objective - bound) / abs(objective) if objective else None


def solver_choices(kind: str) -> list[tuple[str, bool, str]]:
    """``(name, installed, tooltip)`` for every known solver that handles scenarios of ``kind``."""
    out = []
    for name in reg.known(kind):  # only this kind's: two kinds' rule names never mix
        try:
            backend, variant = reg.split_name(name, kind)
        except Exception:  # a broken registry entry must not break the panel
            continue
        installed = reg.is_installed(backend, kind)
        caps = ", ".join(sorted(reg.capabilities(name, kind))) or "none"
        what = backend.description or backend.name
        if variant:
            what = f"{what}: {variant}"
        if installed:
            tip = f"{what}\nhonours: limits, seed; {caps}"
        else:
            tip = f"{what}\nnot installed: needs the Python package(s) {', '.join(backend.requires)}"
        out.append((name, installed, tip))
    return out


def no_schedule_reason(result: Result, pinned: bool = False, task_word: str = "task") -> str:
    """Why ``result`` brought no schedule, in words (``pinned``: the solve had to keep pins of
    ``task_word`` s)."""
    t = result.termination
    if t == Termination.INFEASIBLE:
        why = "infeasible: no schedule satisfies the constraints" + (f" with the pinned {task_word}s" if pinned else "")
    elif t == Termination.TIME_LIMIT:
        why = "time limit reached without a solution"
    elif t == Termination.CANCELLED:
        why = "cancelled before a solution was found"
    elif t == Termination.ERROR:
        why = "error"
    else:
        why = f"no solution ({t.value})"
    return why


class SolvePanel(QWidget):
    """Solver choice, limits, Solve / Re-optimize / Cancel, a status line and a convergence chart.

    Signals
    -------
    solveStarted(str): a solve started with this solver name.
    solveFinished(object): the solve ended: its :class:`Result`, or None when it failed with an error.
    solveFailed(str): the solve raised (one-line message); ``solveFinished(None)`` follows.
    scheduleAdded(str): the result was added to the plan under this name.
    """

    solveStarted = Signal(str)
    solveFinished = Signal(object)
    solveFailed = Signal(str)
    scheduleAdded = Signal(str)

    def __init__(self, plan: PlanDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: PlanDocument | None = None
        self.worker: SolveWorker | None = None
        self.last_result: Result | None = None
        self.last_error: str | None = None
        self.last_schedule_name: str | None = None
        self._mode = "solve"
        self._solver = ""
        self._time_limit: float | None = None  # the limit the running solve was given
        self._scenario: Any = None
        self._pinned: tuple = ()  # the pinned assignments the running solve keeps
        self._note = ""
        self._best: tuple[float | None, float | None] = (None, None)
        self._clock = QElapsedTimer()
        self._tick = QTimer(self)
        self._tick.setInterval(200)
        self._tick.timeout.connect(self._on_tick)

        # -- widgets -------------------------------------------------------------------------------
        self.solver_combo = QComboBox()
        self.solver_combo.setToolTip("Solver backend (greyed out: not installed)")
        # (solver name, combo label, tooltip, kind) of the files added with add_policy_file, kept across plans
        self._policy_items: list[tuple[str, str, str, str]] = []
        self._provider_text: str | None = None
        self.open_policy_button = QPushButton("Open policy file…")
        self.open_policy_button.setToolTip("Add a learned dispatch policy (.onnx) as a solver")
        self.open_policy_button.clicked.connect(lambda: self.open_policy_dialog())
        self.samples = QSpinBox()
        self.samples.setRange(1, MAX_SAMPLES)
        self.samples.setValue(1)
        self.samples.setSpecialValueText("1 (greedy)")
        self.samples.setToolTip("Rollouts of the policy: 1 = greedy; N = the best of the greedy one and N - 1 sampled")
        self.provider_label = QLabel("")
        self.provider_label.setWordWrap(True)
        self.provider_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.time_limit = QDoubleSpinBox()
        self.time_limit.setRange(0, 7 * 24 * 3600)
        self.time_limit.setDecimals(1)
        self.time_limit.setValue(30)
        self.time_limit.setSuffix(" s")
        self.time_limit.setSpecialValueText("no limit")
        self.time_limit.setToolTip("Stop after this many seconds (0: no limit)")
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText("auto")
        self.threads.setToolTip("Worker threads (auto: the solver decides)")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Random seed")
        self.gap = QDoubleSpinBox()
        self.gap.setRange(0, 100)
        self.gap.setDecimals(2)
        self.gap.setSuffix(" %")
        self.gap.setSpecialValueText("prove optimal")
        self.gap.setToolTip("Stop once the relative gap between objective and bound is at most this")

        self.race_members = QLineEdit()
        self.race_members.setPlaceholderText("the scenario's default")
        self.race_members.setToolTip("Solvers the race runs in parallel processes, comma-separated; "
                                     "they share improving solutions and the first proof stops all. "
                                     "Empty: the race's default for the scenario (chosen by its kind "
                                     "and shape)")
        form = QFormLayout()
        # narrow enough for a side dock on a 1280-px screen: the policy button under the solver,
        # and labels above their fields when the dock is narrower still
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.solver_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.solver_combo.setMinimumContentsLength(12)
        form.addRow("Solver", self.solver_combo)
        form.addRow("", self.open_policy_button)
        form.addRow("Race members", self.race_members)
        form.addRow("Samples", self.samples)
        form.addRow("Provider", self.provider_label)
        self._form = form
        self.solver_combo.currentIndexChanged.connect(lambda *_: self._on_solver_changed())
        form.addRow("Time limit", self.time_limit)
        form.addRow("Threads", self.threads)
        form.addRow("Seed", self.seed)
        form.addRow("Relative gap", self.gap)

        self.solve_button = QPushButton("Solve")
        self.solve_button.setToolTip("Solve the scenario (the current schedule is the warm start when it is feasible)")
        self.reopt_button = QPushButton("Re-optimize")
        self.reopt_button.setToolTip("Keep the pinned bars of the current schedule and re-plan the rest")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running solve (keeps the best schedule found so far)")
        self.solve_button.clicked.connect(lambda: self.solve())
        self.reopt_button.clicked.connect(lambda: self.reoptimize())
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.solve_button)
        buttons.addWidget(self.reopt_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)

        self.status = QLabel("Ready")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chart = ConvergenceChart(self)

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        lay.addWidget(self.chart, 1)

        self.set_plan(plan)

    # -- plan --------------------------------------------------------------------------------------
    def set_plan(self, plan: PlanDocument) -> None:
        """Follow another document (a running solve is cancelled).

        The solver, limits, race members and added policy files stay as the
        planner set them; the status line and the chart start afresh.
        """
        if self.plan is plan:
            return
        if self.is_running():
            self.cancel()
            self.wait(3000)
        if self.worker is not None:
            # it did not stop in time: its result belongs to the old plan, never to this one
            for sig, slot in ((self.worker.progress, self._on_progress), (self.worker.finished, self._on_finished),
                              (self.worker.failed, self._on_failed)):
                try:
                    sig.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
            self._finish()
        if self.plan is not None:
            self.last_result = None
            self.last_error = None
            self.last_schedule_name = None
            self.chart.clear()
            self._set_status("Ready")
            for sig in (self.plan.changed, self.plan.currentChanged):
                try:
                    sig.disconnect(self._update_buttons)
                except (RuntimeError, TypeError):
                    pass
        self.plan = plan
        plan.changed.connect(self._update_buttons)
        plan.currentChanged.connect(self._update_buttons)
        self._fill_solvers()
        self._on_solver_changed()

    def _fill_solvers(self) -> None:
        previous = self.solver_combo.currentData()
        self.solver_combo.clear()
        kind = getattr(self.plan.scenario, "kind", "")
        model = self.solver_combo.model()
        first_ok = None
        for name, installed, tip in solver_choices(kind):
            self.solver_combo.addItem(name if installed else f"{name} (not installed)", name)
            i = self.solver_combo.count() - 1
            self.solver_combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
            if not installed and isinstance(model, QStandardItemModel):
                model.item(i).setEnabled(False)
            if installed and first_ok is None:
                first_ok = i
        for name, label, tip, policy_kind in self._policy_items:
            if policy_kind == kind and self.solver_combo.findData(name) < 0:
                self.solver_combo.addItem(label, name)
                self.solver_combo.setItemData(self.solver_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        for want in (previous, DEFAULT_SOLVER):
            i = self.solver_combo.findData(want) if want else -1
            if i >= 0 and self._installed(want):
                self.solver_combo.setCurrentIndex(i)
                break
        else:
            if first_ok is not None:
                self.solver_combo.setCurrentIndex(first_ok)

    @staticmethod
    def _installed(name: str) -> bool:
        try:
            return reg.is_installed(reg.split_name(name)[0])
        except Exception:
            return False

    def solver_names(self, installed_only: bool = False) -> list[str]:
        """Names in the solver combo (all, or only the installed ones)."""
        out = []
        for i in range(self.solver_combo.count()):
            name = self.solver_combo.itemData(i)
            if not installed_only or self._installed(name):
                out.append(name)
        return out

    def current_solver(self) -> str:
        return self.solver_combo.currentData() or ""

    def set_solver(self, name: str) -> bool:
        i = self.solver_combo.findData(name)
        if i >= 0:
            self.solver_combo.setCurrentIndex(i)
        return i >= 0

    # -- policies --------------------------------------------------------------------------------
    def open_policy_dialog(self) -> bool:
        """Ask for a .onnx file and add it as a solver (see :meth:`add_policy_file`)."""
        path, _ = QFileDialog.getOpenFileName(self, "Open policy file", "", "ONNX policies (*.onnx);;All files (*)")
        return self.add_policy_file(path) if path else False

    def add_policy_file(self, path: str | Path) -> bool:
        """Validate the policy file ``path`` and add ``policy:<path>`` to the solvers, selected.

        A refused file (not a policy, another scenario kind, no onnxruntime) adds
        nothing; the status line says why in one line. Returns whether it was added.
        """
        if self.is_running():
            return False
        path = Path(path).expanduser().absolute()
        name = f"{POLICY}:{path}"
        try:
            from opsplan.policies.runtime import load_policy

            if path.suffix.lower() != ".onnx":
                raise OpsPlanError(f"{path}: a policy file ends in .onnx")
            policy = load_policy(path)
            kind = getattr(self.plan.scenario, "kind", "") if self.plan is not None else ""
            if policy.kind != kind:
                raise OpsPlanError(f"policy '{policy.name}' ({path.name}) is for {policy.kind} scenarios, not {kind}")
        except (OpsPlanError, ImportError, OSError) as exc:
            self._set_status("Cannot use the policy: " + " ".join(str(exc).split()))
            return False
        label = f"{POLICY}:{policy.name} ({path.name})"
        tip = f"learned dispatch policy '{policy.name}' ({policy.kind}, features {policy.spec.id})\n{path}"
        if all(item[0] != name for item in self._policy_items):
            self._policy_items.append((name, label, tip, policy.kind))
        if self.solver_combo.findData(name) < 0:
            self.solver_combo.addItem(label, name)
            self.solver_combo.setItemData(self.solver_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.set_solver(name)
        self._set_status(f"Added policy '{policy.name}' from {path.name} · {self.policy_provider_text()}")
        return True

    def policy_provider_text(self) -> str:
        """Where policies will run here (probed once per panel; see :func:`provider_text`)."""
        if self._provider_text is None:
            self._provider_text = provider_text()
        return self._provider_text

    def _on_solver_changed(self) -> None:
        name = self.current_solver()
        self.race_members.setEnabled(name == "race")
        policy = is_policy(name)
        self._form.setRowVisible(self.samples, policy)
        self._form.setRowVisible(self.provider_label, policy)
        if policy:
            text = self.policy_provider_text()
            self.provider_label.setText(text)
            self.provider_label.setToolTip(f"ONNX Runtime execution provider: {text}")
        self._update_buttons()

    # -- state ----------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.worker is not None

    def status_text(self) -> str:
        return self.status.text()

    def _set_status(self, text: str) -> None:
        self.status.setText(text)

    def _update_buttons(self, *_: object) -> None:
        running = self.is_running()
        has_plan = self.plan is not None and self.plan.scenario is not None
        has_schedule = has_plan and self.plan.schedule is not None
        for w in (self.solver_combo, self.time_limit, self.threads, self.seed, self.gap, self.open_policy_button):
            w.setEnabled(not running)
        self.samples.setEnabled(not running and is_policy(self.current_solver()))
        self.solve_button.setEnabled(not running and has_plan)
        self.reopt_button.setEnabled(not running and has_schedule)
        self.cancel_button.setEnabled(running and not (self.worker and self.worker.is_cancelled()))

    def params(self, **overrides: Any) -> Params:
        """The parameters from the widgets (``overrides`` replace single fields)."""
        tl = self.time_limit.value()
        gap = self.gap.value()
        values: dict[str, Any] = {
            "time_limit": float(tl) if tl > 0 else None,
            "threads": int(self.threads.value()),
            "seed": int(self.seed.value()),
            "gap": gap / 100.0 if gap > 0 else None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if is_policy(overrides.get("solver") or self.current_solver()):
            values["options"] = {**values.get("options", {}), "samples": int(self.samples.value())}
        if (overrides.get("solver") or self.current_solver()) == "race":
            members = [m.strip() for m in self.race_members.text().split(",") if m.strip()]
            if members:
                values["options"] = {**values.get("options", {}), "solvers": members}
        values.pop("solver", None)
        return Params(**values)

    # -- actions ----------------------------------------------------------------------------------------
    def solve(self, solver: str | None = None, time_limit: float | None = None, *,
              threads: int | None = None, seed: int | None = None, gap: float | None = None) -> SolveWorker | None:
        """Solve the scenario; the current schedule is the warm start when it passes the checker.

        Returns the running worker, or None when the solve could not start (the status says why).
        """
        return self._start("solve", solver, time_limit, threads, seed, gap)

    def reoptimize(self, solver: str | None = None, time_limit: float | None = None, *,
                   threads: int | None = None, seed: int | None = None,
                   gap: float | None = None) -> SolveWorker | None:
        """Keep the pinned tasks of the current schedule and re-plan the rest (warm start: the schedule)."""
        return self._start("reoptimize", solver, time_limit, threads, seed, gap)

    def cancel(self) -> None:
        """Stop the running solve; the best schedule found so far is still added."""
        if self.worker is not None:
            self.worker.cancel()
            self._set_status(f"{self._solver}: cancelling…")
            self._update_buttons()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the running solve has ended and its result was handled (for tests and shutdown)."""
        w = self.worker
        return w.wait(timeout_ms) if w is not None else True

    def _start(self, mode: str, solver: str | None, time_limit: float | None,
               threads: int | None, seed: int | None, gap: float | None) -> SolveWorker | None:
        if self.is_running() or self.plan is None:
            return None
        name = solver or self.current_solver()
        if solver is not None:
            self.set_solver(solver)
        if not name:
            self._set_status("No solver for this kind of scenario is installed")
            return None
        try:
            reg.split_name(name)
        except Exception as exc:
            self._set_status(f"Cannot solve: {exc}")
            return None
        if not self._installed(name):
            self._set_status(f"Cannot solve: solver '{name}' is not installed")
            return None
        current = self.plan.schedule
        if time_limit is not None:  # the panel shows the limit the solve really runs with
            self.time_limit.setValue(float(time_limit))
        overrides: dict[str, Any] = {"time_limit": time_limit, "threads": threads, "seed": seed, "gap": gap}
        note = ""
        pinned: tuple = ()
        if mode == "reoptimize":
            if current is None:
                self._set_status("Nothing to re-optimize: the plan has no schedule")
                return None
            pinned = current.pinned_assignments()
            word = self.plan.adapter.task_word
            why = reg.refusal(name, self.plan.scenario.kind, PINS, f"pinned {word}s") if pinned else ""
            if why:
                self._set_status(f"Cannot re-optimize: {why}")
                return None
            overrides["warm_start"] = current
            overrides["pinned"] = pinned
            note = f"keeping {len(pinned)} pinned" if pinned else f"no pinned {word}s: re-planning all"
        elif current is not None and not self.plan.violations(current):
            overrides["warm_start"] = current
            note = f"warm start: {self.plan.current_name}"
        params = self.params(solver=name, **overrides)

        self._mode, self._solver, self._scenario = mode, name, self.plan.scenario
        self._pinned = tuple(pinned)
        self._time_limit = params.time_limit
        self._note = note
        self._best = (None, None)
        self.last_result = None
        self.last_error = None
        self.last_schedule_name = None
        self.chart.clear()
        worker = start_solve(self.plan.scenario, name, params)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self.worker = worker
        self._clock.start()
        self._tick.start()
        self._update_buttons()
        self._show_running()
        self.solveStarted.emit(name)
        return worker

    # -- worker signals (GUI thread) -------------------------------------------------------------------
    def _elapsed(self) -> float:
        return self._clock.elapsed() / 1000.0 if self._clock.isValid() else 0.0

    def _show_running(self) -> None:
        obj, bound = self._best
        verb = "re-optimizing" if self._mode == "reoptimize" else "solving"
        if self.worker is not None and self.worker.is_cancelled():
            verb = "cancelling"
        parts = [f"{self._solver}: {verb}…", f"{self._elapsed():.1f} s",
                 f"best {fmt_value(obj)}", f"bound {fmt_value(bound)}"]
        g = rel_gap(obj, bound)
        if g is not None:
            parts.append(f"gap {g:.1%}")
        if self._note:
            parts.append(self._note)
        self._set_status(" · ".join(parts))

    def _on_tick(self) -> None:
        if self.worker is None:
            self._tick.stop()
            return
        if not self.chart.is_empty():
            self.chart.set_time(self._elapsed())
        self._show_running()

    def _on_progress(self, p: Progress) -> None:
        obj, bound = self._best
        if p.objective is not None:
            obj = p.objective if obj is None else min(obj, p.objective)
        if p.bound is not None:
            bound = p.bound if bound is None else max(bound, p.bound)
        self._best = (obj, bound)
        # a race reports each member under its own name: one curve per backend
        series = p.solver if self._solver == "race" and p.solver else self._solver
        self.chart.add_point(series, p.elapsed_s, p.objective, p.bound)
        self._show_running()

    def _finish(self) -> None:
        self.worker = None
        self._tick.stop()
        self._update_buttons()

    def _on_finished(self, result: Result) -> None:
        self.last_result = result
        self._finish()
        if (result.objective is not None or result.bound is not None) and self._solver != "race":
            self.chart.add_point(self._solver, result.runtime_s, result.objective, result.bound)
        self.chart.set_time(result.runtime_s)
        parts = [f"{self._shown_name(result)}: {result.status}",
                 f"termination {result.termination.value}, solution {result.solution_status.value}"]
        added = None
        if result.schedule is not None and result.solution_status != SolutionStatus.NONE:
            added = self._add_result(result)
            parts.append(f"objective {fmt_value(result.objective)}")
            if result.bound is not None:
                parts.append(f"bound {fmt_value(result.bound)}")
            if result.gap is not None:
                parts.append(f"gap {result.gap:.1%}")
        else:
            parts.append(no_schedule_reason(result, bool(self._pinned), self.plan.adapter.task_word))
            if result.conflicts:
                n = len(result.conflicts)
                parts.append(f"{n} conflicting constraint{'s' if n > 1 else ''} listed in the Issues panel")
        if self._scenario is self.plan.scenario and (result.conflicts or added):
            # conflicts of a solve that kept pins hold only while those pins do
            self.plan.set_conflicts(result.conflicts, self._scenario, self._pinned)
        parts.append(f"{result.runtime_s:.2f} s")
        provider = (result.stats or {}).get("provider") if is_policy(self._solver) else None
        if provider:
            parts.append(f"ran on {provider}")
        if result.message:
            parts.append(result.message)
        if added:
            parts.append(f"added as “{added}”")
            if result.termination == Termination.CANCELLED:
                parts.append("best schedule found before the cancel")
            if self._scenario is not self.plan.scenario:
                parts.append("warning: the scenario changed while solving")
            else:
                n = len(self.plan.violations())
                if n:
                    parts.append(f"warning: {n} checker violation(s)")
        self._set_status(" · ".join(parts))
        self.solveFinished.emit(result)

    def _shown_name(self, result: Result) -> str:
        """The solver's name for people: a policy file by its policy name (``policy:spt``), not its path."""
        return result.solver if is_policy(self._solver) and result.solver else self._solver

    def _add_result(self, result: Result) -> str:
        shown = self._shown_name(result)
        name = plan_name(shown, (s.name for s in self.plan.schedules), time_limit=limit_hit(result, self._time_limit),
                         reoptimized=self._mode == "reoptimize")
        schedule = result.schedule.renamed(name)
        if self._pinned:
            schedule = schedule.with_pins(a.task for a in self._pinned)
        trace = (result.stats or {}).get("trace") if is_policy(self._solver) else None
        if trace:
            schedule = with_trace(schedule, trace)
        verb = "Re-optimize" if self._mode == "reoptimize" else "Solve"
        name = self.plan.add_schedule(schedule, label=f"{verb} with {shown}")
        self.last_schedule_name = name
        self.scheduleAdded.emit(name)
        return name

    def _on_failed(self, message: str) -> None:
        self.last_error = message
        self._finish()
        self._set_status(f"{self._solver}: failed · {message}")
        self.solveFailed.emit(message)
        self.solveFinished.emit(None)

    # -- shutdown -----------------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 3000) -> None:
        """Cancel a running solve and wait for it (closing the window)."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(timeout_ms)

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        self.shutdown()
        super().closeEvent(event)


__all__ = ["SolvePanel", "fmt_value", "is_policy", "no_schedule_reason", "provider_text", "solver_choices"]
