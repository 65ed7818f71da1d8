#pragma once

#include "core/apierror.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QVariantMap>
#include <functional>

class QTimer;

namespace pier {

// What one verb of a step ended in.
struct StepResult {
    enum class Status {
        Done,      // check: nothing to do; other verbs: succeeded
        Needed,    // check only: apply() has work to do
        Blocked,   // check only: cannot be done now (message says why, and what to do)
        Failed,    // the verb failed (error says how)
        Cancelled, // stopped by cancel()
    };
    Status status = Status::Done;
    QString message;     // one sentence for the user
    ApiError error;      // set when Failed
    QVariantMap outputs; // values later steps use (the address's IP, the app's version...)

    static StepResult done(const QString &message = {}, const QVariantMap &outputs = {});
    static StepResult needed(const QString &message);
    static StepResult blocked(const QString &message);
    static StepResult failed(const ApiError &error);
    static StepResult cancelled();
    bool ok() const { return status == Status::Done; }
    static QString statusName(Status s);
};

using StepCallback = std::function<void(const StepResult &)>;

// One thing Pier does to a cluster, with four asynchronous verbs (DESIGN.md §3). Each verb calls
// its callback exactly once. `inputs` holds the outputs of the steps this one depends on.
class Step : public QObject {
    Q_OBJECT
public:
    explicit Step(const QString &id, QObject *parent = nullptr) : QObject(parent), m_id(id) {}

    QString id() const { return m_id; } // stable across runs: the journal's key
    virtual QString title() const = 0;
    virtual QString explanation() const { return {}; }       // why, in two or three sentences
    virtual QString equivalentCommand() const { return {}; } // what a person would type
    QStringList dependsOn() const { return m_dependsOn; }
    void setDependsOn(const QStringList &ids) { m_dependsOn = ids; }

    virtual void check(const QVariantMap &inputs, StepCallback done) = 0;  // read-only
    virtual void apply(const QVariantMap &inputs, StepCallback done) = 0;  // idempotent
    virtual void verify(const QVariantMap &inputs, StepCallback done) = 0; // proof from outside
    virtual void undo(const QVariantMap &inputs, StepCallback done) = 0;   // only what apply made
    virtual void cancel() {} // stop the verb in flight; it then calls back with cancelled()

signals:
    void progress(const QString &text); // shown where the step is displayed
    void logLine(const QString &line);  // for the log view

private:
    QString m_id;
    QStringList m_dependsOn;
};

// The persisted record of a plan's run: which steps finished, what they made, their outputs.
// Written atomically after every change so a crash or a closed laptop resumes without
// repeating anything.
class PlanJournal {
public:
    enum class State { Pending, Done, Failed, Undone };
    struct Entry {
        State state = State::Pending;
        bool applied = false; // apply() ran and succeeded: undo has something to remove
        QVariantMap outputs;
        QString message;
        QDateTime updated;
    };

    explicit PlanJournal(const QString &path = {}) : m_path(path) {}
    QString path() const { return m_path; }
    bool load(QString *error = nullptr); // a missing file is an empty journal
    bool save(QString *error = nullptr) const;
    void clear() { m_entries.clear(); }

    Entry entry(const QString &stepId) const { return m_entries.value(stepId); }
    void setEntry(const QString &stepId, const Entry &e) { m_entries.insert(stepId, e); }
    QStringList stepIds() const { return m_entries.keys(); }

    static QString stateName(State s);

private:
    QString m_path;
    QHash<QString, Entry> m_entries;
};

// Runs the steps of a plan: each step when the steps it depends on are done, up to
// `maxParallel` at a time; per step check -> (apply if needed) -> verify. Transient errors
// (ApiError::isTransient) are retried with backoff. A failure stops only what depends on it.
class PlanRunner : public QObject {
    Q_OBJECT
public:
    enum class StepState {
        Pending,
        Checking,
        Applying,
        Verifying,
        Undoing,
        Done,
        Failed,
        Skipped,
        Cancelled,
        Undone
    };
    Q_ENUM(StepState)

    explicit PlanRunner(QObject *parent = nullptr);

    void addStep(Step *step); // the runner takes ownership
    QList<Step *> steps() const { return m_steps; }
    Step *step(const QString &id) const;

    void setJournal(PlanJournal *journal) { m_journal = journal; } // not owned
    void setMaxParallel(int n) { m_maxParallel = qMax(1, n); }
    void setRetryPolicy(int maxRetries, int baseDelayMs)
    {
        m_maxRetries = maxRetries;
        m_retryBaseMs = baseDelayMs;
    }

    void start();   // run every step not yet done
    void undoAll(); // undo, in reverse dependency order, the steps the journal says applied
    void cancel();

    // For views that go step by step (the wizard); the other steps keep their state.
    // Runs IDS (again, even when done: a retry) and, first, the steps they depend on that are
    // not done yet. finished() reports on those steps only.
    void run(const QStringList &ids);
    // Undoes IDS, in reverse plan order, where the journal says Pier made something.
    void undo(const QStringList &ids);
    // Treats a step as done without running it (the user did it by hand): recorded in the
    // journal as done, without making anything Pier would undo. Not while it runs.
    void markDone(const QString &stepId, const QString &message);
    // Takes the journal's finished steps as done (a view resuming an earlier run): their
    // outputs feed later steps and run() does not repeat them as dependencies.
    void adoptJournal();
    // The steps IDS need, transitively (not IDS themselves), in plan order.
    QStringList dependenciesOf(const QStringList &ids) const;
    // The steps that need STEPID, transitively, in plan order.
    QStringList dependentsOf(const QString &stepId) const;
    bool isRunning() const { return m_running; }

    StepState state(const QString &stepId) const
    {
        return m_states.value(stepId, StepState::Pending);
    }
    StepResult lastResult(const QString &stepId) const { return m_results.value(stepId); }
    QVariantMap outputs() const { return m_outputs; } // all outputs so far, by key
    bool succeeded() const;

    static QString stateName(StepState s);

signals:
    void stepStateChanged(const QString &stepId, pier::PlanRunner::StepState state,
                          const QString &message);
    void stepProgress(const QString &stepId, const QString &text);
    void finished(bool ok);

private:
    enum class Verb { Check, Apply, Verify, Undo };
    void schedule();
    void runVerb(Step *step, Verb verb, int attempt);
    void onVerbDone(Step *step, Verb verb, int attempt, const StepResult &result);
    void setState(Step *step, StepState state, const QString &message);
    void record(Step *step, PlanJournal::State state, const QString &message, bool applied);
    void finishIfIdle();
    QVariantMap inputsFor(Step *step) const;
    void undoNext();
    void beginUndo(const QStringList &ids);
    void loadJournalOutputs(bool overwrite = false);

    QList<Step *> m_steps;
    QHash<QString, StepState> m_states;
    QHash<QString, StepResult> m_results;
    QHash<QString, bool> m_appliedNow;
    QVariantMap m_outputs;
    PlanJournal *m_journal = nullptr;
    int m_maxParallel = 4;
    int m_maxRetries = 3;
    int m_retryBaseMs = 500;
    int m_active = 0;
    bool m_running = false;
    bool m_undoing = false;
    bool m_cancelled = false;
    QStringList m_undoQueue;
    QStringList m_selected; // the steps of the current run or teardown
    int m_generation = 0;   // callbacks from an earlier run (after cancel) are ignored
};

} // namespace pier
