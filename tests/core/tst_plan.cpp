// The plan engine's contract, asserted through the exact log of verb calls (as Qt Creator's
// Tasking tests do): what runs, in which order, what is retried, skipped, resumed and undone.
#include "core/plan.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace pier;

namespace {

// A step whose verbs answer from a script: per verb, a queue of results (the last one repeats).
class ScriptedStep : public Step {
public:
    ScriptedStep(const QString &id, QStringList *log, QObject *parent = nullptr)
        : Step(id, parent), m_log(log)
    {
    }

    QString title() const override { return QStringLiteral("Step %1").arg(id()); }

    QHash<QString, QList<StepResult>> script;
    QHash<QString, int> delayMs; // answer after this long (default: at once)
    QVariantMap lastInputs;
    bool hangApply = false;

    void check(const QVariantMap &in, StepCallback done) override
    {
        answer(QStringLiteral("check"), in, done);
    }
    void apply(const QVariantMap &in, StepCallback done) override
    {
        if (hangApply) {
            m_log->append(id() + QStringLiteral(":apply"));
            m_pending = done;
            return;
        }
        answer(QStringLiteral("apply"), in, done);
    }
    void verify(const QVariantMap &in, StepCallback done) override
    {
        answer(QStringLiteral("verify"), in, done);
    }
    void undo(const QVariantMap &in, StepCallback done) override
    {
        answer(QStringLiteral("undo"), in, done);
    }
    void cancel() override
    {
        if (m_pending) {
            m_log->append(id() + QStringLiteral(":cancel"));
            auto done = m_pending;
            m_pending = nullptr;
            done(StepResult::cancelled());
        }
    }

private:
    void answer(const QString &verb, const QVariantMap &in, StepCallback done)
    {
        lastInputs = in;
        m_log->append(id() + QLatin1Char(':') + verb);
        QList<StepResult> &queue = script[verb];
        StepResult r = StepResult::done();
        if (!queue.isEmpty())
            r = queue.size() > 1 ? queue.takeFirst() : queue.first();
        const int delay = delayMs.value(verb, -1);
        if (delay < 0) {
            done(r);
        } else {
            QTimer::singleShot(delay, this, [this, done, r, verb] {
                m_log->append(id() + QLatin1Char(':') + verb + QStringLiteral("-end"));
                done(r);
            });
        }
    }

    QStringList *m_log;
    StepCallback m_pending;
};

ApiError networkError()
{
    ApiError e;
    e.kind = ApiError::Kind::Network;
    e.message = QStringLiteral("Connection refused");
    return e;
}

ApiError invalidError()
{
    ApiError e;
    e.kind = ApiError::Kind::Invalid;
    e.message = QStringLiteral("Object is not valid");
    return e;
}

// run(ids) or undo(ids) to the end; the result finished() reported.
bool runSome(PlanRunner &runner, const QStringList &ids, bool undo = false)
{
    QSignalSpy spy(&runner, &PlanRunner::finished);
    if (undo)
        runner.undo(ids);
    else
        runner.run(ids);
    if (!spy.wait(5000))
        return false;
    return spy.first().first().toBool();
}

bool runToEnd(PlanRunner &runner, bool undo = false)
{
    QSignalSpy spy(&runner, &PlanRunner::finished);
    if (undo)
        runner.undoAll();
    else
        runner.start();
    if (!spy.wait(5000))
        return false;
    return spy.first().first().toBool();
}

} // namespace

class TestPlan : public QObject {
    Q_OBJECT
private slots:
    void neededStepIsAppliedThenVerified()
    {
        QStringList log;
        PlanRunner runner;
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        a->script[QStringLiteral("check")] = {StepResult::needed(QStringLiteral("not there yet"))};
        runner.addStep(a);
        QVERIFY(runToEnd(runner));
        QCOMPARE(log, QStringList({QStringLiteral("a:check"), QStringLiteral("a:apply"),
                                   QStringLiteral("a:verify")}));
        QCOMPARE(runner.state(QStringLiteral("a")), PlanRunner::StepState::Done);
    }

    void doneStepIsOnlyVerified()
    {
        QStringList log;
        PlanRunner runner;
        runner.addStep(new ScriptedStep(QStringLiteral("a"), &log)); // check answers Done
        QVERIFY(runToEnd(runner));
        QCOMPARE(log, QStringList({QStringLiteral("a:check"), QStringLiteral("a:verify")}));
    }

    void blockedCheckFailsWithItsReason()
    {
        QStringList log;
        PlanRunner runner;
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        a->script[QStringLiteral("check")] = {
            StepResult::blocked(QStringLiteral("Marathon is not reachable"))};
        runner.addStep(a);
        QVERIFY(!runToEnd(runner));
        QCOMPARE(log, QStringList({QStringLiteral("a:check")}));
        QCOMPARE(runner.state(QStringLiteral("a")), PlanRunner::StepState::Failed);
        QCOMPARE(runner.lastResult(QStringLiteral("a")).message,
                 QStringLiteral("Marathon is not reachable"));
    }

    void failureStopsOnlyWhatDependsOnIt()
    {
        QStringList log;
        PlanRunner runner;
        runner.setMaxParallel(1);
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        a->script[QStringLiteral("check")] = {StepResult::needed({})};
        a->script[QStringLiteral("apply")] = {StepResult::failed(invalidError())};
        auto *b = new ScriptedStep(QStringLiteral("b"), &log);
        b->setDependsOn({QStringLiteral("a")});
        auto *c = new ScriptedStep(QStringLiteral("c"), &log);
        runner.addStep(a);
        runner.addStep(b);
        runner.addStep(c);
        QVERIFY(!runToEnd(runner));
        QCOMPARE(log, QStringList({QStringLiteral("a:check"), QStringLiteral("a:apply"),
                                   QStringLiteral("c:check"), QStringLiteral("c:verify")}));
        QCOMPARE(runner.state(QStringLiteral("b")), PlanRunner::StepState::Skipped);
        QCOMPARE(runner.state(QStringLiteral("c")), PlanRunner::StepState::Done);
    }

    void transientErrorsAreRetriedOthersAreNot_data()
    {
        QTest::addColumn<bool>("transient");
        QTest::addColumn<int>("applies");
        QTest::addColumn<bool>("ok");
        QTest::newRow("network error, retried until it works") << true << 3 << true;
        QTest::newRow("invalid, not retried") << false << 1 << false;
    }

    void transientErrorsAreRetriedOthersAreNot()
    {
        QFETCH(bool, transient);
        QFETCH(int, applies);
        QFETCH(bool, ok);
        QStringList log;
        PlanRunner runner;
        runner.setRetryPolicy(3, 10);
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        a->script[QStringLiteral("check")] = {StepResult::needed({})};
        const StepResult failure = StepResult::failed(transient ? networkError() : invalidError());
        a->script[QStringLiteral("apply")] = {failure, failure, StepResult::done()};
        runner.addStep(a);
        QCOMPARE(runToEnd(runner), ok);
        QCOMPARE(log.count(QStringLiteral("a:apply")), applies);
    }

    void retriesGiveUpAfterTheLimit()
    {
        QStringList log;
        PlanRunner runner;
        runner.setRetryPolicy(2, 10);
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        a->script[QStringLiteral("check")] = {StepResult::failed(networkError())};
        runner.addStep(a);
        QVERIFY(!runToEnd(runner));
        QCOMPARE(log.count(QStringLiteral("a:check")), 3);
    }

    void outputsFlowToDependents()
    {
        QStringList log;
        PlanRunner runner;
        auto *a = new ScriptedStep(QStringLiteral("address"), &log);
        a->script[QStringLiteral("check")] = {StepResult::needed({})};
        a->script[QStringLiteral("apply")] = {
            StepResult::done({}, {{QStringLiteral("address.ip"), QStringLiteral("203.0.113.7")}})};
        auto *b = new ScriptedStep(QStringLiteral("rule"), &log);
        b->setDependsOn({QStringLiteral("address")});
        runner.addStep(a);
        runner.addStep(b);
        QVERIFY(runToEnd(runner));
        QCOMPARE(b->lastInputs.value(QStringLiteral("address.ip")).toString(),
                 QStringLiteral("203.0.113.7"));
    }

    void parallelLimitIsHonoured_data()
    {
        QTest::addColumn<int>("maxParallel");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("two at once")
            << 2 << QStringList{QStringLiteral("a:check"),     QStringLiteral("b:check"),
                                QStringLiteral("a:check-end"), QStringLiteral("a:verify"),
                                QStringLiteral("b:check-end"), QStringLiteral("b:verify")};
        QTest::newRow("one at a time")
            << 1 << QStringList{QStringLiteral("a:check"),     QStringLiteral("a:check-end"),
                                QStringLiteral("a:verify"),    QStringLiteral("b:check"),
                                QStringLiteral("b:check-end"), QStringLiteral("b:verify")};
    }

    void parallelLimitIsHonoured()
    {
        QFETCH(int, maxParallel);
        QFETCH(QStringList, expected);
        QStringList log;
        PlanRunner runner;
        runner.setMaxParallel(maxParallel);
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        a->delayMs[QStringLiteral("check")] = 20;
        auto *b = new ScriptedStep(QStringLiteral("b"), &log);
        b->delayMs[QStringLiteral("check")] = 60;
        runner.addStep(a);
        runner.addStep(b);
        QVERIFY(runToEnd(runner));
        QCOMPARE(log, expected);
    }

    void journalResumesWithoutRedoingWork()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("plan.json"));
        {
            QStringList log;
            PlanJournal journal(path);
            PlanRunner runner;
            runner.setJournal(&journal);
            auto *a = new ScriptedStep(QStringLiteral("a"), &log);
            a->script[QStringLiteral("check")] = {StepResult::needed({})};
            a->script[QStringLiteral("apply")] = {
                StepResult::done({}, {{QStringLiteral("a.id"), QStringLiteral("/nginx")}})};
            auto *b = new ScriptedStep(QStringLiteral("b"), &log);
            b->setDependsOn({QStringLiteral("a")});
            b->script[QStringLiteral("check")] = {StepResult::needed({})};
            b->script[QStringLiteral("apply")] = {StepResult::failed(invalidError())};
            runner.addStep(a);
            runner.addStep(b);
            QVERIFY(!runToEnd(runner));
        }
        // A new process: the journal says "a" was made by us; its check now finds it in place.
        PlanJournal journal(path);
        QVERIFY(journal.load());
        QCOMPARE(journal.entry(QStringLiteral("a")).state, PlanJournal::State::Done);
        QVERIFY(journal.entry(QStringLiteral("a")).applied);
        QCOMPARE(journal.entry(QStringLiteral("b")).state, PlanJournal::State::Failed);

        QStringList log;
        PlanRunner runner;
        runner.setJournal(&journal);
        auto *a = new ScriptedStep(QStringLiteral("a"), &log); // check: Done
        auto *b = new ScriptedStep(QStringLiteral("b"), &log);
        b->setDependsOn({QStringLiteral("a")});
        b->script[QStringLiteral("check")] = {StepResult::needed({})};
        runner.addStep(a);
        runner.addStep(b);
        QVERIFY(runToEnd(runner));
        QCOMPARE(log, QStringList({QStringLiteral("a:check"), QStringLiteral("a:verify"),
                                   QStringLiteral("b:check"), QStringLiteral("b:apply"),
                                   QStringLiteral("b:verify")}));
        QCOMPARE(b->lastInputs.value(QStringLiteral("a.id")).toString(), QStringLiteral("/nginx"));
        // "a" stays ours to undo even though this run found it already there.
        PlanJournal reread(path);
        QVERIFY(reread.load());
        QVERIFY(reread.entry(QStringLiteral("a")).applied);
    }

    void undoRemovesOnlyWhatWasCreatedInReverseOrder()
    {
        QTemporaryDir dir;
        PlanJournal journal(dir.filePath(QStringLiteral("plan.json")));
        QStringList log;
        PlanRunner runner;
        runner.setJournal(&journal);
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        a->script[QStringLiteral("check")] = {StepResult::needed({})};
        auto *b = new ScriptedStep(QStringLiteral("b"), &log); // was already there: not ours
        b->setDependsOn({QStringLiteral("a")});
        auto *c = new ScriptedStep(QStringLiteral("c"), &log);
        c->setDependsOn({QStringLiteral("b")});
        c->script[QStringLiteral("check")] = {StepResult::needed({})};
        runner.addStep(a);
        runner.addStep(b);
        runner.addStep(c);
        QVERIFY(runToEnd(runner));
        log.clear();
        QVERIFY(runToEnd(runner, true));
        QCOMPARE(log, QStringList({QStringLiteral("c:undo"), QStringLiteral("a:undo")}));
        QCOMPARE(runner.state(QStringLiteral("b")), PlanRunner::StepState::Skipped);
        QCOMPARE(journal.entry(QStringLiteral("a")).state, PlanJournal::State::Undone);
        QVERIFY(!journal.entry(QStringLiteral("a")).applied);
        // A second teardown has nothing left to do.
        log.clear();
        QVERIFY(runToEnd(runner, true));
        QVERIFY(log.isEmpty());
    }

    // Teardown does not wait needlessly: steps that do not depend on each other are undone at
    // once, a step only after everything that depends on it, even through a step with nothing
    // to undo (d → c → a).
    void undoRunsIndependentStepsAtOnce()
    {
        QStringList log;
        PlanRunner runner;
        auto made = [&](const QString &id, const QStringList &deps) {
            auto *s = new ScriptedStep(id, &log);
            s->setDependsOn(deps);
            s->script[QStringLiteral("check")] = {StepResult::needed({})};
            s->delayMs[QStringLiteral("undo")] = 30;
            runner.addStep(s);
            return s;
        };
        made(QStringLiteral("a"), {});
        made(QStringLiteral("b"), {});
        auto *c = new ScriptedStep(QStringLiteral("c"), &log); // found done: nothing to undo
        c->setDependsOn({QStringLiteral("a")});
        runner.addStep(c);
        made(QStringLiteral("d"), {QStringLiteral("b"), QStringLiteral("c")});
        QVERIFY(runToEnd(runner));
        log.clear();
        QVERIFY(runToEnd(runner, true));
        QCOMPARE(log, QStringList({QStringLiteral("d:undo"), QStringLiteral("d:undo-end"),
                                   QStringLiteral("b:undo"), QStringLiteral("a:undo"),
                                   QStringLiteral("b:undo-end"), QStringLiteral("a:undo-end")}));
    }

    void failedUndoStopsTheTeardown()
    {
        QStringList log;
        PlanRunner runner;
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        a->script[QStringLiteral("check")] = {StepResult::needed({})};
        auto *b = new ScriptedStep(QStringLiteral("b"), &log);
        b->setDependsOn({QStringLiteral("a")});
        b->script[QStringLiteral("check")] = {StepResult::needed({})};
        b->script[QStringLiteral("undo")] = {StepResult::failed(invalidError())};
        runner.addStep(a);
        runner.addStep(b);
        QVERIFY(runToEnd(runner));
        log.clear();
        QVERIFY(!runToEnd(runner, true));
        QCOMPARE(log, QStringList({QStringLiteral("b:undo")}));
    }

    void cancelStopsTheStepInFlightAndWhatWaits()
    {
        QStringList log;
        PlanRunner runner;
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        a->script[QStringLiteral("check")] = {StepResult::needed({})};
        a->hangApply = true;
        auto *b = new ScriptedStep(QStringLiteral("b"), &log);
        b->setDependsOn({QStringLiteral("a")});
        runner.addStep(a);
        runner.addStep(b);
        QSignalSpy finished(&runner, &PlanRunner::finished);
        runner.start();
        QTRY_VERIFY(log.contains(QStringLiteral("a:apply")));
        runner.cancel();
        QVERIFY(finished.wait(5000));
        QCOMPARE(finished.first().first().toBool(), false);
        QCOMPARE(log, QStringList({QStringLiteral("a:check"), QStringLiteral("a:apply"),
                                   QStringLiteral("a:cancel")}));
        QCOMPARE(runner.state(QStringLiteral("a")), PlanRunner::StepState::Cancelled);
        QCOMPARE(runner.state(QStringLiteral("b")), PlanRunner::StepState::Cancelled);
    }

    void runDoesOnlyTheGivenStepsAndWhatTheyStillNeed()
    {
        QStringList log;
        PlanRunner runner;
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        auto *b = new ScriptedStep(QStringLiteral("b"), &log);
        b->setDependsOn({QStringLiteral("a")});
        auto *c = new ScriptedStep(QStringLiteral("c"), &log);
        c->setDependsOn({QStringLiteral("b")});
        auto *d = new ScriptedStep(QStringLiteral("d"), &log);
        for (auto *s : {a, b, c, d})
            runner.addStep(s);
        QCOMPARE(runner.dependenciesOf({QStringLiteral("c")}),
                 QStringList({QStringLiteral("a"), QStringLiteral("b")}));
        QCOMPARE(runner.dependentsOf(QStringLiteral("a")),
                 QStringList({QStringLiteral("b"), QStringLiteral("c")}));

        QVERIFY(runSome(runner, {QStringLiteral("b")}));
        QCOMPARE(log, QStringList({QStringLiteral("a:check"), QStringLiteral("a:verify"),
                                   QStringLiteral("b:check"), QStringLiteral("b:verify")}));
        QCOMPARE(runner.state(QStringLiteral("c")), PlanRunner::StepState::Pending);
        QCOMPARE(runner.state(QStringLiteral("d")), PlanRunner::StepState::Pending);

        // The next page: what it needs is done already and is not repeated.
        log.clear();
        QVERIFY(runSome(runner, {QStringLiteral("c")}));
        QCOMPARE(log, QStringList({QStringLiteral("c:check"), QStringLiteral("c:verify")}));

        // A retry runs the step again even though it is done.
        log.clear();
        QVERIFY(runSome(runner, {QStringLiteral("b")}));
        QCOMPARE(log, QStringList({QStringLiteral("b:check"), QStringLiteral("b:verify")}));
        QCOMPARE(runner.state(QStringLiteral("c")), PlanRunner::StepState::Done);
    }

    void runReportsTheFailureOfItsOwnSteps()
    {
        QStringList log;
        PlanRunner runner;
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        auto *b = new ScriptedStep(QStringLiteral("b"), &log);
        b->script[QStringLiteral("check")] = {StepResult::blocked(QStringLiteral("no route"))};
        runner.addStep(a);
        runner.addStep(b);
        QVERIFY(runSome(runner, {QStringLiteral("a")}));
        QVERIFY(!runSome(runner, {QStringLiteral("b")}));
        QCOMPARE(runner.state(QStringLiteral("a")), PlanRunner::StepState::Done);
        QCOMPARE(runner.state(QStringLiteral("b")), PlanRunner::StepState::Failed);
    }

    void undoOfOneStepLeavesTheOthersInPlace()
    {
        QTemporaryDir dir;
        PlanJournal journal(dir.filePath(QStringLiteral("plan.json")));
        QStringList log;
        PlanRunner runner;
        runner.setJournal(&journal);
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        a->script[QStringLiteral("check")] = {StepResult::needed({})};
        auto *b = new ScriptedStep(QStringLiteral("b"), &log);
        b->setDependsOn({QStringLiteral("a")});
        b->script[QStringLiteral("check")] = {StepResult::needed({})};
        runner.addStep(a);
        runner.addStep(b);
        QVERIFY(runToEnd(runner));
        log.clear();
        QVERIFY(runSome(runner, {QStringLiteral("b")}, true));
        QCOMPARE(log, QStringList({QStringLiteral("b:undo")}));
        QCOMPARE(runner.state(QStringLiteral("b")), PlanRunner::StepState::Undone);
        QCOMPARE(runner.state(QStringLiteral("a")), PlanRunner::StepState::Done);
        QVERIFY(journal.entry(QStringLiteral("a")).applied);
        QVERIFY(!journal.entry(QStringLiteral("b")).applied);
        // Run again after the undo: b is made again, a is not touched.
        log.clear();
        QVERIFY(runSome(runner, {QStringLiteral("b")}));
        QCOMPARE(log, QStringList({QStringLiteral("b:check"), QStringLiteral("b:apply"),
                                   QStringLiteral("b:verify")}));
    }

    void markDoneLetsDependentsRunAndIsNotUndone()
    {
        QTemporaryDir dir;
        PlanJournal journal(dir.filePath(QStringLiteral("plan.json")));
        QStringList log;
        PlanRunner runner;
        runner.setJournal(&journal);
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        a->script[QStringLiteral("check")] = {StepResult::blocked(QStringLiteral("cannot tell"))};
        auto *b = new ScriptedStep(QStringLiteral("b"), &log);
        b->setDependsOn({QStringLiteral("a")});
        runner.addStep(a);
        runner.addStep(b);
        QVERIFY(!runSome(runner, {QStringLiteral("a")}));
        runner.markDone(QStringLiteral("a"), QStringLiteral("Skipped: done by hand."));
        QCOMPARE(runner.state(QStringLiteral("a")), PlanRunner::StepState::Done);
        QCOMPARE(journal.entry(QStringLiteral("a")).state, PlanJournal::State::Done);
        log.clear();
        QVERIFY(runSome(runner, {QStringLiteral("b")}));
        QCOMPARE(log, QStringList({QStringLiteral("b:check"), QStringLiteral("b:verify")}));
        log.clear();
        QVERIFY(runToEnd(runner, true));
        QVERIFY2(!log.contains(QStringLiteral("a:undo")), qPrintable(log.join(QLatin1Char(' '))));
    }

    void adoptJournalShowsEarlierWorkAsDone()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("plan.json"));
        {
            PlanJournal journal(path);
            PlanJournal::Entry e;
            e.state = PlanJournal::State::Done;
            e.applied = true;
            e.outputs = {{QStringLiteral("a.ip"), QStringLiteral("203.0.113.7")}};
            journal.setEntry(QStringLiteral("a"), e);
            QVERIFY(journal.save());
        }
        PlanJournal journal(path);
        QVERIFY(journal.load());
        QStringList log;
        PlanRunner runner;
        runner.setJournal(&journal);
        auto *a = new ScriptedStep(QStringLiteral("a"), &log);
        auto *b = new ScriptedStep(QStringLiteral("b"), &log);
        b->setDependsOn({QStringLiteral("a")});
        runner.addStep(a);
        runner.addStep(b);
        runner.adoptJournal();
        QCOMPARE(runner.state(QStringLiteral("a")), PlanRunner::StepState::Done);
        QCOMPARE(runner.state(QStringLiteral("b")), PlanRunner::StepState::Pending);
        QVERIFY(runSome(runner, {QStringLiteral("b")}));
        QCOMPARE(log, QStringList({QStringLiteral("b:check"), QStringLiteral("b:verify")}));
        QCOMPARE(b->lastInputs.value(QStringLiteral("a.ip")).toString(),
                 QStringLiteral("203.0.113.7"));
    }

    void damagedJournalIsReported()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("plan.json"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{ not json");
        f.close();
        PlanJournal journal(path);
        QString error;
        QVERIFY(!journal.load(&error));
        QVERIFY2(error.contains(QStringLiteral("damaged")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestPlan)
#include "tst_plan.moc"
