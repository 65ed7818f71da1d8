#include "core/plan.h"

#include "core/logging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>
#include <QSet>
#include <QTimer>

namespace pier {

// ---- StepResult ---------------------------------------------------------------------------

StepResult StepResult::done(const QString &message, const QVariantMap &outputs)
{
    return {Status::Done, message, {}, outputs};
}

StepResult StepResult::needed(const QString &message)
{
    return {Status::Needed, message, {}, {}};
}

StepResult StepResult::blocked(const QString &message)
{
    return {Status::Blocked, message, {}, {}};
}

StepResult StepResult::failed(const ApiError &error)
{
    return {Status::Failed, error.message, error, {}};
}

StepResult StepResult::cancelled()
{
    return {Status::Cancelled, QStringLiteral("Cancelled."), ApiError::cancelled(), {}};
}

QString StepResult::statusName(Status s)
{
    switch (s) {
    case Status::Done:
        return QStringLiteral("done");
    case Status::Needed:
        return QStringLiteral("needed");
    case Status::Blocked:
        return QStringLiteral("blocked");
    case Status::Failed:
        return QStringLiteral("failed");
    case Status::Cancelled:
        return QStringLiteral("cancelled");
    }
    return {};
}

// ---- PlanJournal --------------------------------------------------------------------------

static const char *const kJournalStates[] = {"pending", "done", "failed", "undone"};

QString PlanJournal::stateName(State s)
{
    return QString::fromLatin1(kJournalStates[int(s)]);
}

bool PlanJournal::load(QString *error)
{
    m_entries.clear();
    QFile file(m_path);
    if (!file.exists())
        return true;
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("Cannot read the plan journal %1: %2")
                         .arg(m_path, file.errorString());
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (!doc.isObject()) {
        if (error)
            *error = QStringLiteral("The plan journal %1 is damaged (%2); start the plan afresh.")
                         .arg(m_path, parseError.errorString());
        return false;
    }
    const QJsonObject steps = doc.object().value(QStringLiteral("steps")).toObject();
    for (auto it = steps.begin(); it != steps.end(); ++it) {
        const QJsonObject o = it.value().toObject();
        Entry e;
        const QString state = o.value(QStringLiteral("state")).toString();
        for (int i = 0; i < 4; ++i) {
            if (state == QLatin1String(kJournalStates[i]))
                e.state = State(i);
        }
        e.applied = o.value(QStringLiteral("applied")).toBool();
        e.outputs = o.value(QStringLiteral("outputs")).toObject().toVariantMap();
        e.message = o.value(QStringLiteral("message")).toString();
        e.updated =
            QDateTime::fromString(o.value(QStringLiteral("updated")).toString(), Qt::ISODateWithMs);
        m_entries.insert(it.key(), e);
    }
    return true;
}

bool PlanJournal::save(QString *error) const
{
    if (m_path.isEmpty())
        return true;
    QJsonObject steps;
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
        const Entry &e = it.value();
        steps.insert(it.key(),
                     QJsonObject{
                         {QStringLiteral("state"), stateName(e.state)},
                         {QStringLiteral("applied"), e.applied},
                         {QStringLiteral("outputs"), QJsonObject::fromVariantMap(e.outputs)},
                         {QStringLiteral("message"), e.message},
                         {QStringLiteral("updated"), e.updated.toUTC().toString(Qt::ISODateWithMs)},
                     });
    }
    const QJsonObject root{{QStringLiteral("version"), 1}, {QStringLiteral("steps"), steps}};
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(root).toJson()) < 0 ||
        !file.commit()) {
        if (error)
            *error = QStringLiteral("Cannot write the plan journal %1: %2")
                         .arg(m_path, file.errorString());
        return false;
    }
    return true;
}

// ---- PlanRunner ---------------------------------------------------------------------------

PlanRunner::PlanRunner(QObject *parent) : QObject(parent) {}

void PlanRunner::addStep(Step *step)
{
    step->setParent(this);
    m_steps.append(step);
    m_states.insert(step->id(), StepState::Pending);
    connect(step, &Step::progress, this,
            [this, step](const QString &text) { emit stepProgress(step->id(), text); });
}

Step *PlanRunner::step(const QString &id) const
{
    for (Step *s : m_steps) {
        if (s->id() == id)
            return s;
    }
    return nullptr;
}

QString PlanRunner::stateName(StepState s)
{
    switch (s) {
    case StepState::Pending:
        return QStringLiteral("pending");
    case StepState::Checking:
        return QStringLiteral("checking");
    case StepState::Applying:
        return QStringLiteral("applying");
    case StepState::Verifying:
        return QStringLiteral("verifying");
    case StepState::Undoing:
        return QStringLiteral("undoing");
    case StepState::Done:
        return QStringLiteral("done");
    case StepState::Failed:
        return QStringLiteral("failed");
    case StepState::Skipped:
        return QStringLiteral("skipped");
    case StepState::Cancelled:
        return QStringLiteral("cancelled");
    case StepState::Undone:
        return QStringLiteral("undone");
    }
    return {};
}

bool PlanRunner::succeeded() const
{
    for (Step *s : m_steps) {
        if (state(s->id()) != StepState::Done)
            return false;
    }
    return true;
}

void PlanRunner::start()
{
    if (m_running)
        return;
    m_running = true;
    m_undoing = false;
    m_cancelled = false;
    ++m_generation;
    m_outputs.clear();
    m_appliedNow.clear();
    m_selected.clear();
    for (Step *s : m_steps)
        m_selected << s->id();
    // Outputs of earlier runs feed later steps; every step is still checked again, so a
    // step done before is confirmed (or redone) rather than trusted blindly.
    loadJournalOutputs();
    for (Step *s : m_steps)
        setState(s, StepState::Pending, {});
    QTimer::singleShot(0, this, &PlanRunner::schedule);
}

void PlanRunner::loadJournalOutputs(bool overwrite)
{
    if (!m_journal)
        return;
    for (Step *s : m_steps) {
        const QVariantMap out = m_journal->entry(s->id()).outputs;
        for (auto it = out.begin(); it != out.end(); ++it) {
            if (overwrite || !m_outputs.contains(it.key()))
                m_outputs.insert(it.key(), it.value());
        }
    }
}

QStringList PlanRunner::dependenciesOf(const QStringList &ids) const
{
    QSet<QString> seen;
    QStringList todo = ids;
    while (!todo.isEmpty()) {
        const Step *s = step(todo.takeFirst());
        if (!s)
            continue;
        for (const QString &dep : s->dependsOn()) {
            if (!seen.contains(dep)) {
                seen.insert(dep);
                todo << dep;
            }
        }
    }
    QStringList out;
    for (Step *s : m_steps) {
        if (seen.contains(s->id()) && !ids.contains(s->id()))
            out << s->id();
    }
    return out;
}

QStringList PlanRunner::dependentsOf(const QString &stepId) const
{
    QStringList out;
    for (Step *s : m_steps) {
        if (s->id() != stepId && dependenciesOf({s->id()}).contains(stepId))
            out << s->id();
    }
    return out;
}

void PlanRunner::run(const QStringList &ids)
{
    if (m_running)
        return;
    m_running = true;
    m_undoing = false;
    m_cancelled = false;
    ++m_generation;
    loadJournalOutputs();
    m_selected.clear();
    for (Step *s : m_steps) {
        const QString id = s->id();
        if (ids.contains(id) || (dependenciesOf(ids).contains(id) && state(id) != StepState::Done))
            m_selected << id;
    }
    for (const QString &id : std::as_const(m_selected))
        setState(step(id), StepState::Pending, {});
    QTimer::singleShot(0, this, &PlanRunner::schedule);
}

void PlanRunner::markDone(const QString &stepId, const QString &message)
{
    Step *s = step(stepId);
    if (!s || (m_running && m_selected.contains(stepId)))
        return;
    m_results.insert(stepId, StepResult::done(message));
    record(s, PlanJournal::State::Done, message, false);
    setState(s, StepState::Done, message);
}

void PlanRunner::adoptJournal()
{
    if (!m_journal || m_running)
        return;
    loadJournalOutputs();
    for (Step *s : m_steps) {
        const PlanJournal::Entry e = m_journal->entry(s->id());
        if (e.state == PlanJournal::State::Done) {
            m_results.insert(s->id(), StepResult::done(e.message, e.outputs));
            setState(s, StepState::Done, e.message);
        }
    }
}

void PlanRunner::cancel()
{
    if (!m_running)
        return;
    m_cancelled = true;
    for (Step *s : m_steps) {
        if (!m_selected.contains(s->id()))
            continue;
        const StepState st = state(s->id());
        if (st == StepState::Checking || st == StepState::Applying || st == StepState::Verifying ||
            st == StepState::Undoing)
            s->cancel();
        else if (st == StepState::Pending)
            setState(s, StepState::Cancelled, tr("Not started: the plan was cancelled."));
    }
    finishIfIdle();
}

void PlanRunner::schedule()
{
    if (!m_running || m_undoing)
        return;
    for (Step *s : m_steps) {
        if (m_cancelled)
            break;
        if (state(s->id()) != StepState::Pending || !m_selected.contains(s->id()))
            continue;
        bool ready = true;
        QString blockedBy;
        for (const QString &dep : s->dependsOn()) {
            const StepState ds = state(dep);
            if (ds == StepState::Failed || ds == StepState::Skipped || ds == StepState::Cancelled) {
                blockedBy = dep;
                break;
            }
            if (ds != StepState::Done)
                ready = false;
        }
        if (!blockedBy.isEmpty()) {
            Step *dep = step(blockedBy);
            setState(s, StepState::Skipped,
                     tr("Not run: it needs \"%1\", which did not finish.")
                         .arg(dep ? dep->title() : blockedBy));
            continue;
        }
        if (!ready || m_active >= m_maxParallel)
            continue;
        ++m_active;
        setState(s, StepState::Checking, {});
        runVerb(s, Verb::Check, 0);
    }
    finishIfIdle();
}

QVariantMap PlanRunner::inputsFor(Step *) const
{
    return m_outputs;
}

void PlanRunner::runVerb(Step *step, Verb verb, int attempt)
{
    const int generation = m_generation;
    QPointer<Step> guard(step);
    // Callbacks are delivered through the event loop, so a step that answers at once does not
    // re-enter the scheduler.
    auto done = [this, guard, verb, attempt, generation](const StepResult &r) {
        QTimer::singleShot(0, this, [this, guard, verb, attempt, generation, r] {
            if (guard && generation == m_generation)
                onVerbDone(guard, verb, attempt, r);
        });
    };
    const QVariantMap inputs = inputsFor(step);
    qCDebug(lcPlan) << "step" << step->id() << "verb" << int(verb) << "attempt" << attempt;
    switch (verb) {
    case Verb::Check:
        step->check(inputs, done);
        break;
    case Verb::Apply:
        step->apply(inputs, done);
        break;
    case Verb::Verify:
        step->verify(inputs, done);
        break;
    case Verb::Undo:
        step->undo(inputs, done);
        break;
    }
}

void PlanRunner::onVerbDone(Step *step, Verb verb, int attempt, const StepResult &result)
{
    m_results.insert(step->id(), result);
    m_outputs.insert(result.outputs);

    if (result.status == StepResult::Status::Failed && result.error.isTransient() && !m_cancelled &&
        attempt < m_maxRetries) {
        int delay = m_retryBaseMs << attempt;
        if (result.error.retryAfterSeconds > 0)
            delay = result.error.retryAfterSeconds * 1000;
        delay = qMin(delay, 30000);
        emit stepProgress(step->id(), tr("%1 Retrying in %2 s (attempt %3 of %4).")
                                          .arg(result.message)
                                          .arg(delay / 1000.0, 0, 'f', 1)
                                          .arg(attempt + 2)
                                          .arg(m_maxRetries + 1));
        const int generation = m_generation;
        QPointer<Step> guard(step);
        QTimer::singleShot(delay, this, [this, guard, verb, attempt, generation] {
            if (guard && generation == m_generation && !m_cancelled)
                runVerb(guard, verb, attempt + 1);
            else if (guard && generation == m_generation)
                onVerbDone(guard, verb, attempt + 1, StepResult::cancelled());
        });
        return;
    }

    auto finishStep = [this, step](StepState st, const QString &message) {
        setState(step, st, message);
        --m_active;
        if (m_undoing)
            undoNext();
        else
            schedule();
    };

    if (result.status == StepResult::Status::Cancelled) {
        finishStep(StepState::Cancelled, result.message);
        return;
    }

    switch (verb) {
    case Verb::Check:
        switch (result.status) {
        case StepResult::Status::Done:
            setState(step, StepState::Verifying, result.message);
            runVerb(step, Verb::Verify, 0);
            return;
        case StepResult::Status::Needed:
            setState(step, StepState::Applying, result.message);
            runVerb(step, Verb::Apply, 0);
            return;
        case StepResult::Status::Blocked:
            record(step, PlanJournal::State::Failed, result.message, false);
            finishStep(StepState::Failed, result.message);
            return;
        default:
            record(step, PlanJournal::State::Failed, result.message, false);
            finishStep(StepState::Failed, result.message);
            return;
        }
    case Verb::Apply:
        if (result.ok()) {
            m_appliedNow.insert(step->id(), true);
            record(step, PlanJournal::State::Pending, result.message, true);
            setState(step, StepState::Verifying, result.message);
            runVerb(step, Verb::Verify, 0);
        } else {
            record(step, PlanJournal::State::Failed, result.message, false);
            finishStep(StepState::Failed, result.message);
        }
        return;
    case Verb::Verify:
        if (result.ok()) {
            record(step, PlanJournal::State::Done, result.message, false);
            finishStep(StepState::Done, result.message);
        } else {
            record(step, PlanJournal::State::Failed, result.message, false);
            finishStep(StepState::Failed, result.message);
        }
        return;
    case Verb::Undo:
        if (result.ok()) {
            if (m_journal) {
                PlanJournal::Entry e = m_journal->entry(step->id());
                e.state = PlanJournal::State::Undone;
                e.applied = false;
                e.outputs.clear();
                e.message = result.message;
                e.updated = QDateTime::currentDateTimeUtc();
                m_journal->setEntry(step->id(), e);
                m_journal->save();
            }
            m_appliedNow.remove(step->id());
            finishStep(StepState::Undone, result.message);
        } else {
            // Stop the teardown here (what is being undone finishes): what remains may depend
            // on what could not be removed.
            m_undoQueue.clear();
            finishStep(StepState::Failed, result.message);
        }
        return;
    }
}

void PlanRunner::record(Step *step, PlanJournal::State state, const QString &message, bool applied)
{
    if (!m_journal)
        return;
    PlanJournal::Entry e = m_journal->entry(step->id());
    e.state = state;
    // Once a run created something, it stays ours to undo until undo removes it.
    e.applied = e.applied || applied;
    const StepResult r = m_results.value(step->id());
    e.outputs.insert(r.outputs);
    e.message = message;
    e.updated = QDateTime::currentDateTimeUtc();
    m_journal->setEntry(step->id(), e);
    QString error;
    if (!m_journal->save(&error))
        qCWarning(lcPlan).noquote() << error;
}

void PlanRunner::setState(Step *step, StepState state, const QString &message)
{
    m_states.insert(step->id(), state);
    emit stepStateChanged(step->id(), state, message);
}

void PlanRunner::finishIfIdle()
{
    if (!m_running || m_active > 0)
        return;
    if (m_undoing) {
        if (!m_undoQueue.isEmpty())
            return;
    } else {
        for (Step *s : m_steps) {
            if (state(s->id()) == StepState::Pending && !m_cancelled &&
                m_selected.contains(s->id()))
                return;
        }
    }
    m_running = false;
    bool ok = true;
    for (Step *s : m_steps) {
        if (!m_selected.contains(s->id()))
            continue;
        const StepState st = state(s->id());
        if (m_undoing ? (st == StepState::Failed || st == StepState::Cancelled)
                      : st != StepState::Done)
            ok = false;
    }
    m_undoing = false;
    emit finished(ok);
}

void PlanRunner::undoAll()
{
    QStringList all;
    for (Step *s : m_steps)
        all << s->id();
    beginUndo(all);
}

void PlanRunner::undo(const QStringList &ids)
{
    beginUndo(ids);
}

void PlanRunner::beginUndo(const QStringList &ids)
{
    if (m_running)
        return;
    m_running = true;
    m_undoing = true;
    m_cancelled = false;
    ++m_generation;
    m_undoQueue.clear();
    m_selected.clear();
    loadJournalOutputs(true); // what the journal says was made is what undo removes
    // Steps are added in dependency order, so the reverse order removes dependents first.
    for (auto it = m_steps.crbegin(); it != m_steps.crend(); ++it) {
        Step *s = *it;
        if (!ids.contains(s->id()))
            continue;
        m_selected << s->id();
        const bool applied =
            m_appliedNow.value(s->id()) || (m_journal && m_journal->entry(s->id()).applied);
        if (applied)
            m_undoQueue.append(s->id());
        else
            setState(s, StepState::Skipped, tr("Nothing to undo: Pier did not create it."));
    }
    QTimer::singleShot(0, this, &PlanRunner::undoNext);
}

void PlanRunner::undoNext()
{
    if (m_cancelled)
        m_undoQueue.clear();
    // A step is undone once every step that depends on it and is to be undone is undone; steps
    // that do not depend on each other are undone at once (a GCE operation takes seconds).
    // Dependents count through steps with nothing to undo (c → b → a: c before a).
    auto waitsFor = [this](const QString &id) {
        QStringList dependents{id};
        for (int i = 0; i < dependents.size(); ++i) {
            for (Step *other : std::as_const(m_steps)) {
                if (other->dependsOn().contains(dependents.at(i)) &&
                    !dependents.contains(other->id()))
                    dependents << other->id();
            }
        }
        for (const QString &d : std::as_const(dependents)) {
            if (d != id && (m_undoQueue.contains(d) || state(d) == StepState::Undoing))
                return true;
        }
        return false;
    };
    for (const QString &id : QStringList(m_undoQueue)) {
        if (m_active >= m_maxParallel)
            break;
        if (waitsFor(id))
            continue;
        m_undoQueue.removeAll(id);
        Step *s = step(id);
        ++m_active;
        setState(s, StepState::Undoing, {});
        runVerb(s, Verb::Undo, 0);
    }
    finishIfIdle();
}

} // namespace pier
