#include "ui/deploywizard.h"

#include "cli/deploycmd.h"
#include "deploy/deployplan.h"
#include "deploy/nodesfirewallstep.h"
#include "secrets/secretstore.h"
#include "ui/accents.h"
#include "ui/commandlog.h"
#include "ui/messagebox.h"
#include "vpn/vpnstep.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDesktopServices>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QFrame>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QScrollArea>
#include <QStyle>
#include <QTimer>
#include <QUrl>
#include <QVBoxLayout>

namespace pier::ui {

using State = PlanRunner::StepState;

namespace {

// Why a step may not be skipped: the later steps would build on something missing. Empty: it
// makes nothing others need, so the user may say they did it by hand.
QString skipRefusalFor(const QString &id)
{
    static const QHash<QString, const char *> reasons{
        {QStringLiteral("marathon.launch"),
         QT_TRANSLATE_NOOP("DeployWizard", "the app must run on Marathon for the page to answer")},
        {QStringLiteral("address"),
         QT_TRANSLATE_NOOP("DeployWizard", "the forwarding rule is made on this address")},
        {QStringLiteral("pool"),
         QT_TRANSLATE_NOOP("DeployWizard", "the forwarding rule sends visitors to this pool")},
        {QStringLiteral("instances"),
         QT_TRANSLATE_NOOP("DeployWizard", "an empty pool sends visitors nowhere")},
        {QStringLiteral("rule"),
         QT_TRANSLATE_NOOP("DeployWizard",
                           "without it nothing answers on the public address, and the last "
                           "page needs its address")},
        {QStringLiteral("network"),
         QT_TRANSLATE_NOOP("DeployWizard", "the firewall rule is made in this network")},
        {QStringLiteral("firewall"),
         QT_TRANSLATE_NOOP("DeployWizard", "without it GCE drops the visitors' traffic")},
    };
    const auto it = reasons.constFind(id);
    return it == reasons.constEnd() ? QString()
                                    : QCoreApplication::translate("DeployWizard", it.value());
}

QString stateWords(State s)
{
    switch (s) {
    case State::Pending:
        return DeployWizard::tr("not started");
    case State::Checking:
        return DeployWizard::tr("checking…");
    case State::Applying:
        return DeployWizard::tr("working…");
    case State::Verifying:
        return DeployWizard::tr("verifying…");
    case State::Undoing:
        return DeployWizard::tr("undoing…");
    case State::Done:
        return DeployWizard::tr("done");
    case State::Failed:
        return DeployWizard::tr("failed");
    case State::Skipped:
        return DeployWizard::tr("not run");
    case State::Cancelled:
        return DeployWizard::tr("stopped");
    case State::Undone:
        return DeployWizard::tr("undone");
    }
    return {};
}

bool isActive(State s)
{
    return s == State::Checking || s == State::Applying || s == State::Verifying ||
           s == State::Undoing;
}

QLabel *wrapped(const QString &text, QWidget *parent)
{
    auto *l = new QLabel(text, parent);
    l->setWordWrap(true);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return l;
}

QFont monospace()
{
    return QFontDatabase::systemFont(QFontDatabase::FixedFont);
}

} // namespace

// ---- DeployStepPage -------------------------------------------------------------------------

DeployStepPage::DeployStepPage(DeployWizard *wizard, const QString &title,
                               const QStringList &stepIds)
    : m_wizard(wizard), m_ids(stepIds)
{
    setTitle(title);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto *scroll = m_scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    outer->addWidget(scroll);
    auto *content = new QWidget(scroll);
    scroll->setWidget(content);
    auto *v = new QVBoxLayout(content);
    v->setSpacing(10);

    m_intro = wrapped({}, content);
    m_intro->setObjectName(QStringLiteral("explanation"));
    v->addWidget(m_intro);

    auto *cmdBox = new QGroupBox(tr("What you would type yourself"), content);
    auto *cmdRow = new QHBoxLayout(cmdBox);
    m_commands = new QPlainTextEdit(cmdBox);
    m_commands->setObjectName(QStringLiteral("equivalentCommand"));
    m_commands->setReadOnly(true);
    m_commands->setFont(monospace());
    m_commands->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_commands->setTabChangesFocus(true);
    m_commands->setAccessibleName(tr("Equivalent command"));
    m_commands->setFixedHeight(m_commands->fontMetrics().lineSpacing() * 4 + 12);
    cmdRow->addWidget(m_commands, 1);
    auto *copy = new QPushButton(tr("&Copy"), cmdBox);
    copy->setObjectName(QStringLiteral("copyCommandButton"));
    copy->setToolTip(tr("Copy the command to the clipboard"));
    copy->setAutoDefault(false);
    connect(copy, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_commands->toPlainText()); });
    cmdRow->addWidget(copy, 0, Qt::AlignTop);
    v->addWidget(cmdBox);

    auto *stateBox = new QGroupBox(tr("What Pier found and did"), content);
    auto *sv = new QVBoxLayout(stateBox);
    m_rows = new QVBoxLayout;
    m_rows->setSpacing(2);
    sv->addLayout(m_rows);
    m_verdict = wrapped({}, stateBox);
    m_verdict->setObjectName(QStringLiteral("verdict"));
    QFont bold = m_verdict->font();
    bold.setBold(true);
    m_verdict->setFont(bold);
    sv->addWidget(m_verdict);
    auto *progressRow = new QHBoxLayout;
    m_busy = new QProgressBar(stateBox);
    m_busy->setObjectName(QStringLiteral("stepProgress"));
    m_busy->setRange(0, 0);
    m_busy->setFixedWidth(140);
    m_busy->setVisible(false);
    progressRow->addWidget(m_busy);
    m_progressText = wrapped({}, stateBox);
    m_progressText->setObjectName(QStringLiteral("progressText"));
    progressRow->addWidget(m_progressText, 1);
    sv->addLayout(progressRow);

    auto *buttons = new QHBoxLayout;
    m_run = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Run This Step"),
                            stateBox);
    m_run->setObjectName(QStringLiteral("runButton"));
    m_run->setAutoDefault(true);
    connect(m_run, &QPushButton::clicked, this, &DeployStepPage::runSteps);
    buttons->addWidget(m_run);
    m_skip = new QPushButton(tr("S&kip"), stateBox);
    m_skip->setObjectName(QStringLiteral("skipButton"));
    m_skip->setAutoDefault(false);
    connect(m_skip, &QPushButton::clicked, this, &DeployStepPage::skipSteps);
    buttons->addWidget(m_skip);
    m_undo = new QPushButton(tr("&Undo…"), stateBox);
    m_undo->setObjectName(QStringLiteral("undoButton"));
    m_undo->setAutoDefault(false);
    connect(m_undo, &QPushButton::clicked, this, &DeployStepPage::undoSteps);
    buttons->addWidget(m_undo);
    m_stop = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("S&top"), stateBox);
    m_stop->setObjectName(QStringLiteral("stopButton"));
    m_stop->setAutoDefault(false);
    m_stop->setToolTip(tr("Stop the work in flight. What it made so far stays recorded: Run "
                          "continues, Undo removes it."));
    m_stop->setVisible(false);
    connect(m_stop, &QPushButton::clicked, m_wizard, &DeployWizard::stop);
    buttons->addWidget(m_stop);
    buttons->addStretch(1);
    sv->addLayout(buttons);
    m_why = wrapped({}, stateBox);
    m_why->setObjectName(QStringLiteral("buttonsWhy"));
    m_why->setForegroundRole(QPalette::PlaceholderText);
    sv->addWidget(m_why);
    v->addWidget(stateBox);

    m_extra = new QVBoxLayout;
    v->addLayout(m_extra);

    auto *logBox = new QGroupBox(tr("Log"), content);
    auto *lv = new QVBoxLayout(logBox);
    m_log = new CommandLog(logBox);
    m_log->setObjectName(QStringLiteral("pageLog"));
    m_log->setMinimumHeight(120);
    lv->addWidget(m_log);
    v->addWidget(logBox, 1);
}

QStringList DeployStepPage::presentIds() const
{
    QStringList out;
    if (PlanRunner *r = m_wizard->runner()) {
        for (const QString &id : m_ids) {
            if (r->step(id))
                out << id;
        }
    }
    return out;
}

void DeployStepPage::planChanged()
{
    ++m_checkGeneration;
    m_checking = 0;
    m_checked.clear();
    m_appliedThisRun.clear();
    m_messages.clear();
    qDeleteAll(m_rowLabels);
    m_rowLabels.clear();
    m_log->clear();
    m_progressText->clear();
    PlanRunner *r = m_wizard->runner();
    QStringList intro;
    for (const QString &id : presentIds()) {
        Step *s = r->step(id);
        if (!s->explanation().isEmpty())
            intro << s->explanation();
        auto *row = wrapped({}, this);
        row->setObjectName(QStringLiteral("stepRow_") + id);
        m_rows->addWidget(row);
        m_rowLabels.insert(id, row);
        m_messages.insert(id, r->lastResult(id).message);
    }
    if (!r)
        intro << (!m_wizard->hasApp()
                      ? tr("Choose an app to deploy first (Apps page, then Deploy…).")
                  : !marathon::validateApp(m_wizard->app()).isEmpty()
                      ? tr("The app definition needs fixing first: the App definition page "
                           "lists its problems.")
                      : tr("Pier needs to know the cluster first: choose or add a profile "
                           "(`pier sandbox up` makes one for a practice cluster), then come "
                           "back."));
    m_intro->setText(intro.join(QStringLiteral("\n\n")));
    m_commands->clear();
    refreshCommands();
    showVerdict();
    updateButtons();
    emit completeChanged();
}

bool DeployStepPage::isDone() const
{
    PlanRunner *r = m_wizard->runner();
    if (!r)
        return false;
    for (const QString &id : presentIds()) {
        if (r->state(id) != State::Done)
            return false;
    }
    return true;
}

bool DeployStepPage::isComplete() const
{
    if (isDone())
        return true;
    PlanRunner *r = m_wizard->runner();
    if (!r || m_wizard->isBusy())
        return false;
    bool failed = false;
    for (const QString &id : presentIds()) {
        const State st = r->state(id);
        if (st == State::Failed || st == State::Cancelled ||
            (st == State::Skipped && !m_nothingToUndo.contains(id)))
            failed = true;
        else if (st != State::Done)
            return false;
    }
    return failed;
}

void DeployStepPage::refreshCommands()
{
    PlanRunner *r = m_wizard->runner();
    if (!r)
        return;
    QStringList commands;
    const QStringList ids = presentIds();
    for (const QString &id : ids) {
        Step *s = r->step(id);
        const QString cmd = s->equivalentCommand();
        commands << (ids.size() > 1 ? QStringLiteral("# %1\n").arg(s->title()) : QString()) +
                        (cmd.isEmpty() ? QStringLiteral(": # nothing to type") : cmd);
    }
    const QString text = commands.join(QStringLiteral("\n\n"));
    if (text != m_commands->toPlainText())
        m_commands->setPlainText(text);
    // Tall enough for the page's commands (a long one wraps), within reason.
    const int perLine =
        qMax(40, (m_commands->viewport()->width() - 8) /
                     qMax(1, m_commands->fontMetrics().horizontalAdvance(QLatin1Char('m'))));
    int lines = 0;
    for (const QString &l : text.split(QLatin1Char('\n')))
        lines += 1 + int(l.size()) / qMax(60, perLine);
    m_commands->setFixedHeight(m_commands->fontMetrics().lineSpacing() * qBound(2, lines, 10) + 14);
}

void DeployStepPage::initializePage()
{
    // Commands may name what earlier pages made (the address's IP): read them again.
    refreshCommands();
    if (!isDone())
        precheck();
    settle();
}

void DeployStepPage::settle()
{
    m_scroll->ensureWidgetVisible(m_intro);
    if (wizard() && wizard()->currentPage() == this) {
        if (isDone() && wizard()->button(QWizard::NextButton)->isVisible())
            wizard()->button(QWizard::NextButton)->setFocus(Qt::OtherFocusReason);
        else if (m_run->isEnabled())
            m_run->setFocus(Qt::OtherFocusReason);
    }
}

void DeployStepPage::precheck()
{
    PlanRunner *r = m_wizard->runner();
    if (!r || m_wizard->isBusy() || m_wizard->checksHeld())
        return;
    const int generation = ++m_checkGeneration;
    QStringList toCheck;
    bool all = true;
    for (const QString &id : presentIds()) {
        if (r->state(id) == State::Done)
            continue;
        // Only steps whose inputs are there: the rest runs with its dependencies.
        bool ready = true;
        for (const QString &dep : r->dependenciesOf({id}))
            ready = ready && r->state(dep) == State::Done;
        if (ready)
            toCheck << id;
        else
            all = false;
    }
    if (toCheck.isEmpty()) {
        showVerdict();
        return;
    }
    m_checked.clear();
    auto left = std::make_shared<int>(int(toCheck.size()));
    for (const QString &id : toCheck) {
        Step *s = r->step(id);
        ++m_checking;
        m_wizard->checkStarted();
        if (QLabel *row = m_rowLabels.value(id))
            row->setText(tr("%1 — checking…").arg(s->title()));
        m_busy->setVisible(true);
        QPointer<DeployStepPage> self(this);
        s->check(r->outputs(), [self, id, generation, left, all](const StepResult &res) {
            // Delivered through the event loop: a step may answer before check() returns.
            QTimer::singleShot(0, self, [self, id, generation, left, all, res] {
                if (!self)
                    return;
                self->m_wizard->checkFinished();
                if (generation != self->m_checkGeneration)
                    return;
                --self->m_checking;
                self->m_checked.insert(id, res);
                self->m_messages.insert(id, res.message);
                if (--*left > 0)
                    return;
                self->m_busy->setVisible(false);
                bool allDone = all;
                for (const StepResult &c : std::as_const(self->m_checked))
                    allDone = allDone && c.status == StepResult::Status::Done;
                self->showVerdict();
                self->updateButtons();
                // Nothing to make: it passes by itself (the runner verifies it).
                if (allDone)
                    self->runSteps();
            });
        });
    }
    showVerdict();
    updateButtons();
}

void DeployStepPage::runSteps()
{
    if (m_wizard->isBusy() || !m_wizard->runner())
        return;
    m_appliedThisRun.clear();
    m_log->append(CommandLog::Kind::Info, tr("Running: %1").arg([this] {
        QStringList t;
        for (const QString &id : presentIds())
            t << m_wizard->runner()->step(id)->title();
        return t.join(QStringLiteral(", "));
    }()));
    m_wizard->startRun(presentIds());
}

void DeployStepPage::skipSteps()
{
    if (!skipRefusal().isEmpty() || m_wizard->isBusy())
        return;
    for (const QString &id : presentIds()) {
        if (m_wizard->runner()->state(id) != State::Done)
            m_wizard->runner()->markDone(
                id, tr("Skipped by you: treated as done, nothing was changed."));
    }
    m_log->append(CommandLog::Kind::Info, tr("Skipped: treated as done without running it."));
    emit completeChanged();
}

void DeployStepPage::undoSteps()
{
    if (!undoRefusal().isEmpty() || m_wizard->isBusy())
        return;
    PlanRunner *r = m_wizard->runner();
    QStringList what;
    for (const QString &id : presentIds()) {
        if (m_wizard->plan()->journal().entry(id).applied)
            what << QStringLiteral("• ") + r->step(id)->title();
    }
    MessageBox::Question q;
    q.icon = QMessageBox::Warning;
    q.title = tr("Undo this step?");
    q.text = tr("Pier will remove what it made here:\n%1").arg(what.join(QLatin1Char('\n')));
    q.informativeText = tr("Nothing else is touched. You can run the step again afterwards.");
    q.buttons = {MessageBox::Yes, MessageBox::No};
    q.buttonText.insert(MessageBox::Yes, tr("Undo"));
    q.buttonText.insert(MessageBox::No, tr("Keep It"));
    q.defaultButton = MessageBox::No;
    q.escapeButton = MessageBox::No;
    if (MessageBox::ask(this, q) != MessageBox::Yes)
        return;
    m_log->append(CommandLog::Kind::Info, tr("Undoing what this step made."));
    m_wizard->startUndo(presentIds());
}

QString DeployStepPage::skipRefusal() const
{
    for (const QString &id : presentIds()) {
        const QString why = skipRefusalFor(id);
        if (!why.isEmpty())
            return tr("Skip is not offered: %1.").arg(why);
    }
    return {};
}

QString DeployStepPage::undoRefusal() const
{
    PlanRunner *r = m_wizard->runner();
    if (!r)
        return tr("Nothing to undo.");
    const PlanJournal &j = m_wizard->plan()->journal();
    bool any = false;
    for (const QString &id : presentIds())
        any = any || j.entry(id).applied;
    if (!any)
        return tr("Undo has nothing to remove: Pier made nothing here (yet, or it was there "
                  "before).");
    for (const QString &id : presentIds()) {
        for (const QString &later : r->dependentsOf(id)) {
            if (!presentIds().contains(later) && j.entry(later).applied)
                return tr("Undo later: \"%1\" uses what this step made; undo that first (or "
                          "Tear Down everything).")
                    .arg(r->step(later)->title());
        }
    }
    return {};
}

void DeployStepPage::updateButtons()
{
    PlanRunner *r = m_wizard->runner();
    const bool busy = m_wizard->isBusy();
    bool anyFailed = false, anyDone = false;
    if (r) {
        for (const QString &id : presentIds()) {
            anyFailed = anyFailed || r->state(id) == State::Failed ||
                        (r->state(id) == State::Skipped && !m_nothingToUndo.contains(id)) ||
                        r->state(id) == State::Cancelled;
            anyDone = anyDone || r->state(id) == State::Done;
        }
    }
    const bool complete = isDone();
    m_run->setEnabled(r && !busy);
    m_run->setText(anyFailed             ? tr("&Retry")
                   : complete || anyDone ? tr("&Run Again")
                                         : tr("&Run This Step"));
    const QString skipWhy = r ? skipRefusal() : QString();
    const QString undoWhy = undoRefusal();
    m_skip->setEnabled(r && !busy && !complete && skipWhy.isEmpty());
    m_undo->setEnabled(r && !busy && undoWhy.isEmpty());
    m_stop->setVisible(r && r->isRunning());
    QStringList why;
    if (r && !complete && !skipWhy.isEmpty())
        why << skipWhy;
    else if (r && !complete)
        why << tr("Skip treats the step as done without running it: for when you did it by hand.");
    if (!undoWhy.isEmpty() && r)
        why << undoWhy;
    m_why->setText(why.join(QLatin1Char(' ')));
    m_why->setVisible(!why.isEmpty());
    m_skip->setToolTip(skipWhy);
    m_undo->setToolTip(undoWhy);
    m_busy->setVisible(busy && (m_checking > 0 || [&] {
                           for (const QString &id : presentIds())
                               if (r && isActive(r->state(id)))
                                   return true;
                           return false;
                       }()));
}

void DeployStepPage::showVerdict()
{
    PlanRunner *r = m_wizard->runner();
    if (!r) {
        m_verdict->setText(
            m_wizard->setupError().isEmpty()
                ? tr("No app chosen yet.")
                : tr("Pier cannot start the journey: %1").arg(m_wizard->setupError()));
        setAccent(m_verdict, m_wizard->setupError().isEmpty() ? Accent::None : Accent::Error);
        return;
    }
    Accent accent = Accent::None;
    bool allDone = true, anyFailed = false, anyRunning = false, anyNeeded = false;
    bool nothingMade = true, anyUndone = false;
    for (const QString &id : presentIds()) {
        const State st = r->state(id);
        Step *s = r->step(id);
        QString msg = m_messages.value(id);
        if (st == State::Failed) {
            const StepResult res = r->lastResult(id);
            msg = res.error.isError() ? res.error.toText() : res.message;
        }
        QString words = stateWords(st);
        if (st == State::Pending && m_checked.contains(id)) {
            const StepResult c = m_checked.value(id);
            switch (c.status) {
            case StepResult::Status::Done:
                words = tr("already done — nothing to do");
                break;
            case StepResult::Status::Needed:
                words = tr("to do");
                anyNeeded = true;
                break;
            case StepResult::Status::Blocked:
                words = tr("cannot run yet");
                anyFailed = true;
                break;
            default:
                words = tr("could not check");
                msg = c.error.isError() ? c.error.toText() : c.message;
                anyFailed = true;
            }
        }
        if (st == State::Done && !m_appliedThisRun.value(id))
            words = id == QLatin1String("page") || id == QLatin1String("vpn.connect") ||
                            id == QLatin1String("network")
                        ? tr("done — checked")
                        : tr("done — it was already in place, nothing was changed");
        if (st == State::Done && m_appliedThisRun.value(id)) {
            words = tr("done — made now and verified");
            nothingMade = false;
        }
        if (st == State::Done && msg.startsWith(tr("Skipped by you")))
            words = tr("skipped by you");
        const bool nothingToRemove = st == State::Skipped && m_nothingToUndo.contains(id);
        if (nothingToRemove) {
            words = tr("nothing to remove: Pier did not make it");
            msg.clear();
        }
        if (st == State::Undone)
            words = tr("removed");
        allDone = allDone && st == State::Done;
        anyFailed = anyFailed || st == State::Failed ||
                    (st == State::Skipped && !nothingToRemove) || st == State::Cancelled;
        anyRunning = anyRunning || isActive(st);
        anyUndone = anyUndone || st == State::Undone || nothingToRemove;
        if (QLabel *row = m_rowLabels.value(id)) {
            const QString mark = st == State::Done     ? QStringLiteral("✔")
                                 : st == State::Failed ? QStringLiteral("✘")
                                 : isActive(st)        ? QStringLiteral("…")
                                                       : QStringLiteral("•");
            row->setText(msg.isEmpty()
                             ? QStringLiteral("%1 %2 — %3").arg(mark, s->title(), words)
                             : QStringLiteral("%1 %2 — %3: %4").arg(mark, s->title(), words, msg));
            setAccent(row, st == State::Done     ? Accent::Ok
                           : st == State::Failed ? Accent::Error
                                                 : Accent::None);
        }
    }
    QString verdict;
    if (m_checking > 0) {
        verdict = tr("Checking what is already in place…");
    } else if (anyRunning) {
        verdict = tr("Working on it…");
    } else if (allDone) {
        if (presentIds().contains(QStringLiteral("page")))
            verdict = tr("Done: the app answers on its public address. The journey is complete.");
        else if (presentIds().contains(QStringLiteral("vpn.connect")))
            verdict = tr("Done: Pier reaches Marathon and Mesos. Go on with Next.");
        else
            verdict = nothingMade ? tr("Done: it was already in place — nothing to do. Go on "
                                       "with Next.")
                                  : tr("Done: made and verified. Go on with Next.");
        accent = Accent::Ok;
    } else if (anyFailed) {
        verdict = tr("This step did not finish: read the reason above, fix it, then Retry. You "
                     "may go on with Next: the steps that do not need this one still work.");
        accent = Accent::Error;
    } else if (anyUndone) {
        verdict = tr("Removed: what Pier made here is gone. Run the step again to make it "
                     "anew.");
    } else if (anyNeeded) {
        verdict = tr("To do: press Run This Step (Pier explains above what it will make).");
    } else {
        // What this page waits for, from earlier pages: Run does that first.
        QStringList needs;
        for (const QString &id : presentIds()) {
            for (const QString &dep : r->dependenciesOf({id})) {
                if (!presentIds().contains(dep) && r->state(dep) != State::Done &&
                    !needs.contains(r->step(dep)->title()))
                    needs << r->step(dep)->title();
            }
        }
        verdict = needs.isEmpty()
                      ? tr("Not started: press Run This Step.")
                      : tr("Not started. It needs first: %1 (not done yet). Run This Step does "
                           "that first, or go Back to it.")
                            .arg(needs.join(QStringLiteral("; ")));
    }
    m_verdict->setText(verdict);
    setAccent(m_verdict, accent);
}

QString DeployStepPage::verdict() const
{
    return m_verdict->text();
}

void DeployStepPage::onStepState(const QString &id, State state, const QString &message)
{
    if (!presentIds().contains(id))
        return;
    if (state == State::Applying)
        m_appliedThisRun.insert(id, true);
    if (state == State::Skipped && m_wizard->isUndoing())
        m_nothingToUndo.insert(id);
    else
        m_nothingToUndo.remove(id);
    if (state == State::Pending)
        m_appliedThisRun.remove(id);
    if (!message.isEmpty())
        m_messages.insert(id, message);
    if (state != State::Pending) {
        Step *s = m_wizard->runner()->step(id);
        const CommandLog::Kind kind = state == State::Done     ? CommandLog::Kind::Ok
                                      : state == State::Failed ? CommandLog::Kind::Problem
                                                               : CommandLog::Kind::Info;
        QString text = QStringLiteral("%1: %2").arg(
            s->title(), m_nothingToUndo.contains(id) ? tr("nothing to remove") : stateWords(state));
        if (state == State::Failed) {
            const StepResult r = m_wizard->runner()->lastResult(id);
            text += QStringLiteral(" — ") + (r.error.isError() ? r.error.toText() : r.message);
        } else if (!message.isEmpty()) {
            text += QStringLiteral(" — ") + message;
        }
        m_log->append(kind, text);
    }
    if (!isActive(state)) {
        m_progressText->clear();
        refreshCommands();
    }
    showVerdict();
    updateButtons();
    emit completeChanged();
}

void DeployStepPage::onStepProgress(const QString &id, const QString &text)
{
    if (!presentIds().contains(id))
        return;
    m_progressText->setText(text);
    emit stepLine(id, text);
}

void DeployStepPage::onLogLine(const QString &id, const QString &line)
{
    if (!presentIds().contains(id))
        return;
    m_log->append(line.startsWith(QLatin1String("$ ")) || line.startsWith(QLatin1String("curl ")) ||
                          line.startsWith(QLatin1String("gcloud "))
                      ? CommandLog::Kind::Command
                      : CommandLog::Kind::Info,
                  line);
    emit stepLine(id, line);
}

// ---- DeployWizard ---------------------------------------------------------------------------

DeployWizard::DeployWizard(QWidget *parent) : QWizard(parent)
{
    setObjectName(QStringLiteral("deployWizard"));
    setWindowFlags(Qt::Widget);
    setWizardStyle(QWizard::ModernStyle);
    setOption(QWizard::NoCancelButton, true);
    setOption(QWizard::NoBackButtonOnStartPage, true);
    setOption(QWizard::HaveCustomButton1, true);
    setOption(QWizard::HaveCustomButton2, true);
    setOption(QWizard::HaveCustomButton3, true);
    setButtonText(QWizard::CustomButton1, tr("Run &All Remaining Steps"));
    setButtonText(QWizard::CustomButton2, tr("&Tear Down…"));
    setButtonText(QWizard::CustomButton3, tr("E&xport Script…"));
    button(QWizard::CustomButton1)
        ->setToolTip(tr("Run every step not done yet, several at once, as `pier deploy` does"));
    button(QWizard::CustomButton2)
        ->setToolTip(tr("Remove everything this journey made: the nodes' rules, the GCE "
                        "resources and the app"));
    button(QWizard::CustomButton3)
        ->setToolTip(tr("Save the journey as a shell script of the equivalent commands"));
    button(QWizard::CustomButton1)->setObjectName(QStringLiteral("runAllButton"));
    button(QWizard::CustomButton2)->setObjectName(QStringLiteral("teardownButton"));
    button(QWizard::CustomButton3)->setObjectName(QStringLiteral("exportScriptButton"));
    button(QWizard::NextButton)->setObjectName(QStringLiteral("nextButton"));
    button(QWizard::BackButton)->setObjectName(QStringLiteral("backButton"));
    setButtonLayout({QWizard::CustomButton1, QWizard::CustomButton2, QWizard::CustomButton3,
                     QWizard::Stretch, QWizard::BackButton, QWizard::NextButton});
    connect(this, &QWizard::customButtonClicked, this, [this](int which) {
        if (which == QWizard::CustomButton1)
            runAllRemaining();
        else if (which == QWizard::CustomButton2)
            tearDown();
        else if (which == QWizard::CustomButton3)
            exportScript();
    });

    // The journey at a glance, beside every page.
    auto *side = new QWidget(this);
    side->setObjectName(QStringLiteral("journeyOverview"));
    auto *sv = new QVBoxLayout(side);
    sv->setContentsMargins(0, 0, 8, 0);
    auto *heading = new QLabel(tr("Deploy: the journey"), side);
    QFont f = heading->font();
    f.setBold(true);
    heading->setFont(f);
    sv->addWidget(heading);
    m_overview = new QListWidget(side);
    m_overview->setObjectName(QStringLiteral("overviewList"));
    m_overview->setFocusPolicy(Qt::NoFocus);
    m_overview->setSelectionMode(QAbstractItemView::NoSelection);
    m_overview->setFixedWidth(230);
    m_overview->setWordWrap(true);
    sv->addWidget(m_overview, 1);
    m_status = wrapped({}, side);
    m_status->setObjectName(QStringLiteral("journeyStatus"));
    m_status->setFixedWidth(230);
    sv->addWidget(m_status);
    setSideWidget(side);

    struct P {
        PageId id;
        QString title;
        QStringList steps;
    };
    const QList<P> pages{
        {ConnectPage, tr("Connect to the private network"), {QStringLiteral("vpn.connect")}},
        {AppPage, {}, {}},
        {LaunchPage, tr("Launch the app on Marathon"), {QStringLiteral("marathon.launch")}},
        {AddressPage, tr("Reserve a public address"), {QStringLiteral("address")}},
        {PoolPage,
         tr("Target pool and nodes"),
         {QStringLiteral("pool"), QStringLiteral("health-check"), QStringLiteral("instances")}},
        {RulePage, tr("Forwarding rule"), {QStringLiteral("rule")}},
        {FirewallPage,
         tr("Tags, network and firewall rule"),
         {QStringLiteral("tags"), QStringLiteral("network"), QStringLiteral("firewall")}},
        {NodesPage,
         tr("Open the port in every node's iptables"),
         {QStringLiteral("node-iptables")}},
        {VerifyPage, tr("Verify: the page on the public address"), {QStringLiteral("page")}},
    };
    for (const P &p : pages) {
        if (p.id == AppPage) {
            setPage(AppPage, static_cast<QWizardPage *>(createAppPage()));
            continue;
        }
        auto *page = new DeployStepPage(this, p.title, p.steps);
        page->setObjectName(QStringLiteral("wizardPage%1").arg(int(p.id)));
        m_stepPages.insert(p.id, page);
        if (p.id == NodesPage)
            page->extraLayout()->addWidget(createNodesExtras(page));
        if (p.id == VerifyPage)
            page->extraLayout()->addWidget(createVerifyExtras(page));
        setPage(p.id, page);
    }
    for (int id : pageIds())
        page(id)->setSubTitle(tr("Step %1 of %2").arg(id + 1).arg(pageIds().size()));
    connect(this, &QWizard::currentIdChanged, this, [this] {
        updateOverview();
        updateCustomButtons();
        // The line under the overview speaks of the page shown, not of the one left. (Not
        // while the journey or a teardown moves the pages: its own outcome is said then.)
        if (m_work == Work::None && !m_holdChecks && m_plan)
            setStatus(pageDone(currentId())
                          ? (currentId() == VerifyPage
                                 ? tr("The journey is complete: the app answers on %1.")
                                       .arg(m_plan->url())
                                 : tr("Done. Go on with Next."))
                          : tr("This page's work is still to do: run it here, or Run All "
                               "Remaining Steps."));
    });
    rebuild();
}

DeployWizard::~DeployWizard()
{
    // The journal is saved as the plan runs: cancelling keeps what it says (resume later).
    if (m_plan) {
        m_plan->disconnect(this);
        m_plan->cancel();
        delete m_plan;
    }
}

PlanRunner *DeployWizard::runner() const
{
    return m_plan ? m_plan->runner() : nullptr;
}

DeployStepPage *DeployWizard::stepPage(PageId id) const
{
    return m_stepPages.value(id);
}

QString DeployWizard::pageName(int id) const
{
    if (id == AppPage)
        return tr("App definition");
    return page(id) ? page(id)->title() : QString();
}

bool DeployWizard::pageDone(int id) const
{
    if (DeployStepPage *p = m_stepPages.value(id))
        return p->isDone();
    return page(id) && page(id)->isComplete();
}

bool DeployWizard::isBusy() const
{
    return m_work != Work::None || m_checks > 0;
}

void DeployWizard::setProfileName(const QString &name)
{
    if (name == m_profile && m_plan)
        return;
    m_profile = name;
    if (!isBusy())
        rebuild();
}

void DeployWizard::setApp(const marathon::AppDefinition &app)
{
    if (m_hasApp && app.json() == m_app.json())
        return;
    if (isBusy()) {
        setStatus(tr("The journey for %1 is running: the new definition is used once it ends.")
                      .arg(m_app.absoluteId()));
        return;
    }
    m_app = app;
    m_hasApp = true;
    rebuild();
}

void DeployWizard::rebuild()
{
    if (m_vpnDialog)
        m_vpnDialog->reject();
    m_pendingVpnSecret = {};
    m_vpnRejected = false;
    if (m_plan) {
        m_plan->disconnect(this);
        m_plan->cancel();
        delete m_plan;
        m_plan = nullptr;
    }
    m_journey.reset();
    m_setupError.clear();
    for (auto it = m_nodePanes.begin(); it != m_nodePanes.end(); ++it) {
        delete it->state->parentWidget();
    }
    m_nodePanes.clear();

    if (m_hasApp && !marathon::validateApp(m_app).isEmpty())
        m_setupError = tr("The app definition has problems Marathon would reject: fix them on "
                          "the Apps page (Validate, F7), then come back.");
    if (m_hasApp && marathon::validateApp(m_app).isEmpty()) {
        m_journey = std::make_unique<cli::DeployJourney>();
        QString error;
        if (!cli::prepareDeploy(m_profile, m_app, deploy::DeployPlan::servicePort(m_app),
                                m_journey.get(), &error)) {
            m_setupError = error;
            m_journey.reset();
        } else {
            m_plan = new deploy::DeployPlan(m_journey->setup, this);
            if (!m_plan->loadJournal(&error))
                m_setupError = error; // damaged: the plan starts afresh, the file is rewritten
        }
    }
    if (m_plan) {
        if (auto *vpn = qobject_cast<vpn::VpnStep *>(runner()->step(QStringLiteral("vpn.connect"))))
            vpn->setCredentialsProvider(
                [this](const QString &realm, std::function<void(const vpn::Credentials &)> reply) {
                    askVpnCredentials(realm, std::move(reply));
                });
        connect(m_plan, &deploy::DeployPlan::stepStateChanged, this,
                [this](const QString &id, const QString &, State state, const QString &message) {
                    if (id == QLatin1String("vpn.connect"))
                        onVpnOutcome(state, message);
                    for (DeployStepPage *p : std::as_const(m_stepPages))
                        p->onStepState(id, state, message);
                    if (m_work == Work::Teardown && state == State::Undoing)
                        setStatus(tr("Tearing down: %1…").arg(runner()->step(id)->title()));
                    if (id == QLatin1String("page"))
                        refreshVerify();
                    if (id == QLatin1String("node-iptables") &&
                        (state == State::Done || state == State::Undone))
                        nodesFinished();
                    updateOverview();
                });
        connect(m_plan, &deploy::DeployPlan::stepProgress, this,
                [this](const QString &id, const QString &text) {
                    for (DeployStepPage *p : std::as_const(m_stepPages))
                        p->onStepProgress(id, text);
                });
        connect(m_plan, &deploy::DeployPlan::logLine, this,
                [this](const QString &id, const QString &line) {
                    for (DeployStepPage *p : std::as_const(m_stepPages))
                        p->onLogLine(id, line);
                });
        connect(m_plan, &deploy::DeployPlan::finished, this, &DeployWizard::onFinished);
    }
    for (DeployStepPage *p : std::as_const(m_stepPages))
        p->planChanged();
    refreshAppPage();
    refreshVerify();
    restart();

    if (m_plan && m_plan->hasEarlierRun()) {
        MessageBox::Question q;
        q.icon = QMessageBox::Question;
        q.title = tr("Resume the deployment?");
        q.text = tr("Pier deployed %1 with this profile before and kept a journal of it.")
                     .arg(m_app.absoluteId());
        q.informativeText = tr("Resume where it stopped (the steps already done show as done, "
                               "nothing is made twice), or check every step again from the "
                               "start.");
        q.buttons = {MessageBox::Yes, MessageBox::No};
        q.buttonText.insert(MessageBox::Yes, tr("Resume"));
        q.buttonText.insert(MessageBox::No, tr("Check Everything Again"));
        q.defaultButton = MessageBox::Yes;
        q.escapeButton = MessageBox::No;
        if (MessageBox::ask(this, q) == MessageBox::Yes) {
            runner()->adoptJournal();
            // To the first page not done.
            while (currentId() != VerifyPage && pageDone(currentId()))
                next();
            setStatus(tr("Resumed: the pages already done show as done."));
        }
    } else if (m_plan) {
        setStatus(tr("Ready: each page explains its step, then you run it."));
    } else if (!m_setupError.isEmpty()) {
        setStatus(m_setupError);
    } else {
        setStatus(tr("Open or write an app on the Apps page, then press Deploy…"));
    }
    updateOverview();
    updateCustomButtons();
    emit planRebuilt();
}

static QList<vpn::Credentials> &nextVpnAnswers()
{
    static QList<vpn::Credentials> answers;
    return answers;
}

void DeployWizard::setNextVpnAnswer(const vpn::Credentials &answer)
{
    nextVpnAnswers().append(answer);
}

void DeployWizard::askVpnCredentials(const QString &realm,
                                     std::function<void(const vpn::Credentials &)> reply)
{
    // As `pier vpn connect` finds them: the environment, then the keychain, then the user.
    if (!qEnvironmentVariable("PIER_VPN_USER").isEmpty() &&
        qEnvironmentVariableIsSet("PIER_VPN_PASSWORD")) {
        reply({true,
               qEnvironmentVariable("PIER_VPN_USER"),
               qEnvironmentVariable("PIER_VPN_PASSWORD"),
               {}});
        return;
    }
    const QString profile = m_journey ? m_journey->setup.profileName : m_profile;
    const QString configPath = m_journey ? m_journey->setup.vpn.configPath : QString();
    const QString base =
        profile.isEmpty() ? QStringLiteral("vpn/%1").arg(QFileInfo(configPath).absoluteFilePath())
                          : QStringLiteral("profile/%1/vpn").arg(profile);
    m_pendingVpnSecret = {};
    // Saved ones the server just rejected would only be rejected again: ask instead.
    if (m_vpnRejected) {
        showVpnSignIn(realm, base, {}, std::move(reply));
        return;
    }
    // The keychain answers asynchronously (it may prompt to unlock): the window stays live.
    auto *store = new SecretStore(QStringLiteral("Pier"), this);
    QPointer<DeployWizard> guard(this);
    store->read(base + QStringLiteral("-user"), [=](const SecretStore::ReadResult &user) {
        store->read(base + QStringLiteral("-password"),
                    [=](const SecretStore::ReadResult &password) {
                        store->deleteLater();
                        if (!guard)
                            return;
                        if (user.found && password.found) {
                            reply({true, user.value, password.value, {}});
                            return;
                        }
                        showVpnSignIn(realm, base, user.error, reply);
                    });
    });
}

void DeployWizard::showVpnSignIn(const QString &realm, const QString &keychainBase,
                                 const ApiError &keychainError,
                                 std::function<void(const vpn::Credentials &)> reply)
{
    const QString cancelled =
        tr("VPN sign-in cancelled: no password was sent, and the OpenVPN Pier started for it "
           "was stopped. Press Retry to sign in again.");
    if (!nextVpnAnswers().isEmpty()) {
        vpn::Credentials c = nextVpnAnswers().takeFirst();
        if (!c.ok && c.error.isEmpty())
            c.error = cancelled;
        reply(c);
        return;
    }
    // Which VPN asks, so the user knows which password it wants.
    const QString configPath = m_journey ? m_journey->setup.vpn.configPath : QString();
    QString server;
    if (auto *step = qobject_cast<vpn::VpnStep *>(
            m_plan ? runner()->step(QStringLiteral("vpn.connect")) : nullptr)) {
        const vpn::OvpnConfig::Remote r = step->config().remotes.value(0);
        if (!r.host.isEmpty())
            server = QStringLiteral("%1:%2").arg(r.host).arg(r.port);
    }
    auto *dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("vpnSignIn"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("VPN sign-in"));
    dialog->setMinimumWidth(460);
    auto *form = new QFormLayout(dialog);
    QString text =
        tr("OpenVPN asks for the user name and password of the VPN <b>%1</b>%2 to reach "
           "the cluster's private network (Marathon and Mesos).")
            .arg(QFileInfo(configPath).fileName().toHtmlEscaped(),
                 server.isEmpty() ? QString() : tr(" (server %1)").arg(server.toHtmlEscaped()));
    if (realm.compare(QLatin1String("Auth"), Qt::CaseInsensitive) != 0 && !realm.isEmpty())
        text += QLatin1Char(' ') + tr("It asks for: %1.").arg(realm.toHtmlEscaped());
    if (m_vpnRejected)
        text += QStringLiteral("<br><br>") +
                tr("<b>The server rejected the last user name and password.</b> Check them "
                   "(your VPN administrator has them) and type them again.");
    auto *intro = wrapped(text, dialog);
    intro->setObjectName(QStringLiteral("vpnSignInText"));
    intro->setTextFormat(Qt::RichText);
    form->addRow(intro);
    auto *userEdit = new QLineEdit(dialog);
    userEdit->setObjectName(QStringLiteral("vpnUser"));
    auto *passwordEdit = new QLineEdit(dialog);
    passwordEdit->setObjectName(QStringLiteral("vpnPassword"));
    passwordEdit->setEchoMode(QLineEdit::Password);
    auto *keep = new QCheckBox(tr("&Remember in the keychain once the VPN accepts them"), dialog);
    keep->setObjectName(QStringLiteral("vpnRemember"));
    keep->setEnabled(!keychainError.isError());
    keep->setToolTip(keychainError.isError() ? keychainError.message : QString());
    form->addRow(tr("&User name:"), userEdit);
    form->addRow(tr("&Password:"), passwordEdit);
    form->addRow(keep);
    if (keychainError.isError()) {
        auto *why = wrapped(tr("%1 Pier asks again next time.").arg(keychainError.message), dialog);
        why->setEnabled(false);
        form->addRow(why);
    }
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, dialog);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Sign In"));
    buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    connect(userEdit, &QLineEdit::textChanged, dialog, [buttons](const QString &t) {
        buttons->button(QDialogButtonBox::Ok)->setEnabled(!t.trimmed().isEmpty());
    });
    connect(buttons, &QDialogButtonBox::accepted, dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    form->addRow(buttons);
    // Not exec(): no nested event loop under the plan's callbacks.
    connect(dialog, &QDialog::finished, this,
            [this, userEdit, passwordEdit, keep, keychainBase, cancelled, reply](int result) {
                vpn::Credentials c;
                c.ok = result == QDialog::Accepted && !userEdit->text().trimmed().isEmpty();
                if (c.ok) {
                    c.user = userEdit->text().trimmed();
                    c.password = passwordEdit->text();
                    // Stored only once the server accepted them (see the step's Done).
                    if (keep->isChecked())
                        m_pendingVpnSecret = {keychainBase, c.user, c.password};
                } else {
                    c.error = cancelled;
                }
                // The widgets go with the dialog; the password leaves with the reply.
                passwordEdit->clear();
                reply(c);
            });
    m_vpnDialog = dialog;
    dialog->open();
    userEdit->setFocus();
}

void DeployWizard::onVpnOutcome(PlanRunner::StepState state, const QString &message)
{
    if (state == PlanRunner::StepState::Done) {
        m_vpnRejected = false;
        if (!m_pendingVpnSecret.base.isEmpty()) {
            const PendingVpnSecret s = std::exchange(m_pendingVpnSecret, {});
            auto *store = new SecretStore(QStringLiteral("Pier"), this);
            auto left = std::make_shared<int>(2);
            auto written = [store, left](const ApiError &) {
                if (--*left == 0)
                    store->deleteLater();
            };
            store->write(s.base + QStringLiteral("-user"), s.user, written);
            store->write(s.base + QStringLiteral("-password"), s.password, written);
        }
    } else if (state == PlanRunner::StepState::Failed ||
               state == PlanRunner::StepState::Cancelled) {
        m_vpnRejected = state == PlanRunner::StepState::Failed &&
                        message.contains(QLatin1String("Authentication failed"));
        m_pendingVpnSecret = {}; // rejected or never tried: not kept
    }
}

void DeployWizard::startRun(const QStringList &ids)
{
    if (!m_plan || isBusy())
        return;
    m_work = Work::Run;
    m_plan->saveMeta(nullptr); // what `pier undeploy` needs besides the journal
    setStatus(tr("Working…"));
    updateCustomButtons();
    emit busyChanged(true);
    runner()->run(ids);
}

void DeployWizard::startUndo(const QStringList &ids)
{
    if (!m_plan || isBusy())
        return;
    m_work = Work::Undo;
    setStatus(tr("Undoing…"));
    updateCustomButtons();
    emit busyChanged(true);
    runner()->undo(ids);
}

void DeployWizard::checkStarted()
{
    ++m_checks;
    updateCustomButtons();
}

void DeployWizard::checkFinished()
{
    m_checks = qMax(0, m_checks - 1);
    updateCustomButtons();
    for (DeployStepPage *p : std::as_const(m_stepPages)) {
        p->updateButtons();
        emit p->completeChanged();
    }
}

void DeployWizard::runAllRemaining()
{
    if (!m_plan || isBusy())
        return;
    QStringList ids;
    for (Step *s : runner()->steps()) {
        if (runner()->state(s->id()) != State::Done)
            ids << s->id();
    }
    if (ids.isEmpty()) {
        setStatus(tr("Every step is done already."));
        return;
    }
    m_work = Work::RunAll;
    m_plan->saveMeta(nullptr);
    setStatus(tr("Running the %n remaining step(s), several at once…", nullptr, int(ids.size())));
    updateCustomButtons();
    emit busyChanged(true);
    runner()->run(ids);
}

void DeployWizard::tearDown()
{
    if (!m_plan || isBusy())
        return;
    QStringList what;
    const auto steps = runner()->steps();
    for (auto it = steps.crbegin(); it != steps.crend(); ++it) {
        if (m_plan->journal().entry((*it)->id()).applied)
            what << QStringLiteral("• ") + (*it)->title();
    }
    if (what.isEmpty()) {
        setStatus(tr("Nothing to tear down: Pier has made nothing for %1 with this profile.")
                      .arg(m_app.absoluteId()));
        return;
    }
    MessageBox::Question q;
    q.icon = QMessageBox::Warning;
    q.title = tr("Tear down %1?").arg(m_app.absoluteId());
    q.text = tr("Pier will remove, in this order, what this journey made:\n%1")
                 .arg(what.join(QLatin1Char('\n')));
    q.informativeText = tr("The app stops answering on its public address. Nothing Pier did not "
                           "make is touched.");
    q.buttons = {MessageBox::Yes, MessageBox::No};
    q.buttonText.insert(MessageBox::Yes, tr("Tear Down"));
    q.buttonText.insert(MessageBox::No, tr("Keep Everything"));
    q.defaultButton = MessageBox::No;
    q.escapeButton = MessageBox::No;
    if (MessageBox::ask(this, q) != MessageBox::Yes)
        return;
    m_work = Work::Teardown;
    setStatus(tr("Tearing down…"));
    updateCustomButtons();
    emit busyChanged(true);
    m_plan->teardown();
}

void DeployWizard::onFinished(bool ok)
{
    const Work work = m_work;
    m_work = Work::None;
    updateCustomButtons();
    emit busyChanged(false);
    for (DeployStepPage *p : std::as_const(m_stepPages)) {
        p->updateButtons();
        emit p->completeChanged();
        p->settle();
    }
    if (work == Work::Teardown) {
        setStatus(ok ? tr("Torn down: the app, the GCE resources and the nodes' rules Pier made "
                          "are gone.")
                     : tr("The teardown stopped: the page of the step that failed says why. "
                          "Press Tear Down again once it is fixed."));
        // Back to the start without checking anything: a check that passes would write a
        // new journal for a journey that is gone.
        m_holdChecks = true;
        restart();
        m_holdChecks = false;
    } else if (work == Work::RunAll) {
        if (ok) {
            while (currentId() != VerifyPage && pageDone(currentId()))
                next();
            setStatus(tr("Every step is done: the app answers on %1.").arg(m_plan->url()));
        } else {
            // To the first page that did not finish, which says why.
            while (currentId() != VerifyPage && pageDone(currentId()))
                next();
            setStatus(tr("Not every step finished: this page says why. The others that did not "
                         "need it are done."));
        }
    } else if (work == Work::Undo) {
        setStatus(ok ? tr("Undone: what this page made is removed. Run it again when you want "
                          "it back.")
                     : tr("The undo did not finish: this page says why."));
    } else {
        if (ok && runner()->state(QStringLiteral("page")) == State::Done)
            setStatus(tr("The journey is complete: the app answers on %1.").arg(m_plan->url()));
        else
            setStatus(ok ? tr("Done. Go on with Next.")
                         : tr("This page's step did not finish: it says why."));
    }
    refreshVerify();
    updateOverview();
    emit runFinished(ok);
}

void DeployWizard::stop()
{
    if (m_vpnDialog)
        m_vpnDialog->reject();
    if (m_plan && runner()->isRunning()) {
        setStatus(tr("Stopping…"));
        m_plan->cancel();
    }
}

void DeployWizard::reject()
{
    // Escape in an embedded wizard must not hide it; stop what runs (the journal keeps it).
    if (m_vpnDialog)
        m_vpnDialog->reject();
    if (m_plan && m_work != Work::None)
        m_plan->cancel();
}

bool DeployWizard::exportScriptTo(const QString &path, QString *error) const
{
    if (!m_plan) {
        if (error)
            *error = tr("No journey yet: choose an app first.");
        return false;
    }
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(m_plan->script().toUtf8()) < 0 || !f.commit()) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    QFile::setPermissions(path, QFile::permissions(path) | QFile::ExeOwner);
    return true;
}

void DeployWizard::exportScript()
{
    if (!m_plan)
        return;
    QString path = m_scriptTarget;
    if (path.isEmpty())
        path = QFileDialog::getSaveFileName(
            this, tr("Export the Journey as a Script"),
            QStringLiteral("deploy-%1.sh").arg(m_app.id().section(QLatin1Char('/'), -1)),
            tr("Shell scripts (*.sh);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    if (exportScriptTo(path, &error))
        setStatus(tr("Saved the journey's commands to %1.").arg(path));
    else
        setStatus(error);
}

QString DeployWizard::statusText() const
{
    return m_status->text();
}

void DeployWizard::setStatus(const QString &text)
{
    m_status->setText(text);
}

void DeployWizard::updateCustomButtons()
{
    const bool busy = isBusy();
    button(QWizard::CustomButton1)->setEnabled(m_plan && !busy);
    button(QWizard::CustomButton2)->setEnabled(m_plan && !busy);
    button(QWizard::CustomButton3)->setEnabled(m_plan != nullptr);
    // Back stays usable: looking at an earlier page while one runs changes nothing.
}

void DeployWizard::updateOverview()
{
    m_overview->clear();
    for (int id : pageIds()) {
        QString state;
        if (id == AppPage) {
            state = !m_hasApp                                ? tr("none chosen")
                    : marathon::validateApp(m_app).isEmpty() ? tr("valid")
                                                             : tr("has problems");
        } else if (DeployStepPage *p = m_stepPages.value(id); p && runner()) {
            bool done = true, failed = false, active = false, undone = false;
            for (const QString &s : p->presentIds()) {
                const State st = runner()->state(s);
                done = done && st == State::Done;
                const bool nothing = st == State::Skipped && p->nothingToUndo(s);
                failed = failed || st == State::Failed || (st == State::Skipped && !nothing);
                active = active || isActive(st);
                undone = undone || st == State::Undone || nothing;
            }
            state = active   ? tr("working…")
                    : done   ? tr("done")
                    : failed ? tr("needs attention")
                    : undone ? tr("removed")
                             : tr("to do");
        }
        auto *item = new QListWidgetItem(
            QStringLiteral("%1. %2%3")
                .arg(id + 1)
                .arg(pageName(id), state.isEmpty() ? QString() : QStringLiteral(" — ") + state),
            m_overview);
        if (id == currentId()) {
            QFont f = item->font();
            f.setBold(true);
            item->setFont(f);
        }
        if (state == tr("done") || state == tr("valid"))
            item->setForeground(okColor(palette()));
        else if (state == tr("needs attention") || state == tr("has problems"))
            item->setForeground(errorColor(palette()));
    }
}

// ---- the App page ---------------------------------------------------------------------------

namespace {
class AppDefinitionPage : public QWizardPage {
public:
    std::function<bool()> complete;
    bool isComplete() const override { return complete && complete(); }
};
} // namespace

QWidget *DeployWizard::createAppPage()
{
    auto *page = new AppDefinitionPage;
    page->complete = [this] { return m_plan != nullptr; };
    m_appPage = page;
    page->setObjectName(QStringLiteral("wizardPage%1").arg(int(AppPage)));
    page->setTitle(tr("The app to deploy"));
    auto *v = new QVBoxLayout(page);
    v->setSpacing(10);
    v->addWidget(wrapped(tr("The app definition tells Marathon what to run: which container "
                            "image, how many copies (instances), how much CPU and memory each "
                            "gets, and which port the app listens on. Marathon then keeps that "
                            "many copies running on the cluster's machines, restarting them if "
                            "they fail. The service port below is the one the public address "
                            "will answer on."),
                         page));
    auto *box = new QGroupBox(tr("The definition from the Apps page"), page);
    auto *bv = new QVBoxLayout(box);
    m_appSummary = wrapped({}, box);
    m_appSummary->setObjectName(QStringLiteral("appSummary"));
    m_appSummary->setTextFormat(Qt::RichText);
    bv->addWidget(m_appSummary);
    m_appIssues = wrapped({}, box);
    m_appIssues->setObjectName(QStringLiteral("appIssues"));
    bv->addWidget(m_appIssues);
    auto *edit = new QPushButton(tr("&Edit in the Apps Page"), box);
    edit->setObjectName(QStringLiteral("editAppButton"));
    edit->setAutoDefault(false);
    connect(edit, &QPushButton::clicked, this, &DeployWizard::editAppRequested);
    auto *row = new QHBoxLayout;
    row->addWidget(edit);
    row->addStretch(1);
    bv->addLayout(row);
    v->addWidget(box);
    m_appJournal = wrapped({}, page);
    m_appJournal->setObjectName(QStringLiteral("appJournal"));
    m_appJournal->setForegroundRole(QPalette::PlaceholderText);
    v->addWidget(m_appJournal);
    v->addStretch(1);
    return page;
}

void DeployWizard::refreshAppPage()
{
    if (!m_hasApp) {
        m_appSummary->setText(tr("No app yet: open or write one on the Apps page, then press "
                                 "Deploy…"));
        m_appIssues->clear();
        m_appJournal->clear();
    } else {
        QStringList ports;
        for (const marathon::PortMapping &p : m_app.portMappings())
            ports << QString::number(p.containerPort);
        m_appSummary->setText(
            tr("<table cellspacing=4>"
               "<tr><td>App id:</td><td><b>%1</b></td></tr>"
               "<tr><td>Container image:</td><td><b>%2</b></td></tr>"
               "<tr><td>Copies (instances):</td><td><b>%3</b>, each with %4 CPU and %5 MB "
               "of memory</td></tr>"
               "<tr><td>Container ports:</td><td><b>%6</b></td></tr>"
               "<tr><td>Public port:</td><td><b>%7</b> (the service port)</td></tr></table>")
                .arg(m_app.absoluteId().toHtmlEscaped(), m_app.image().toHtmlEscaped())
                .arg(m_app.instances())
                .arg(m_app.cpus())
                .arg(m_app.mem())
                .arg(ports.isEmpty() ? tr("none") : ports.join(QStringLiteral(", ")))
                .arg(deploy::DeployPlan::servicePort(m_app)));
        const auto issues = marathon::validateApp(m_app);
        if (issues.isEmpty()) {
            m_appIssues->setText(tr("✔ Checked: no problems — Marathon should accept this "
                                    "definition."));
            setAccent(m_appIssues, Accent::Ok);
        } else {
            QStringList lines;
            for (const auto &i : issues)
                lines << QStringLiteral("✘ %1: %2").arg(i.path, i.message);
            m_appIssues->setText(tr("Marathon would reject this definition; fix it on the Apps "
                                    "page:\n%1")
                                     .arg(lines.join(QLatin1Char('\n'))));
            setAccent(m_appIssues, Accent::Error);
        }
        m_appJournal->setText(
            m_plan ? tr("Pier keeps a journal of this journey in %1, so it can resume after an "
                        "interruption and tear down exactly what it made.")
                         .arg(m_plan->journal().path())
                   : m_setupError);
    }
    emit m_appPage->completeChanged();
}

// ---- the Nodes page: a pane per node --------------------------------------------------------

QWidget *DeployWizard::createNodesExtras(DeployStepPage *page)
{
    auto *box = new QGroupBox(tr("The nodes"), page);
    box->setObjectName(QStringLiteral("nodePanes"));
    auto *v = new QVBoxLayout(box);
    m_nodesNone = wrapped(tr("The nodes show here once Pier has asked Mesos for them (when the "
                             "step runs)."),
                          box);
    v->addWidget(m_nodesNone);
    m_nodeGrid = new QGridLayout;
    v->addLayout(m_nodeGrid);
    connect(page, &DeployStepPage::stepLine, this,
            [this](const QString &, const QString &line) { nodeLine(line, false); });
    return box;
}

void DeployWizard::nodeLine(const QString &line, bool)
{
    auto *step = runner() ? qobject_cast<deploy::NodesFirewallStep *>(
                                runner()->step(QStringLiteral("node-iptables")))
                          : nullptr;
    if (!step)
        return;
    for (const nodes::Node &n : step->knownNodes()) {
        if (!m_nodePanes.contains(n.name)) {
            auto *pane = new QGroupBox(QStringLiteral("%1 (%2)").arg(n.name, n.address));
            pane->setObjectName(QStringLiteral("nodePane_") + n.name);
            auto *pv = new QVBoxLayout(pane);
            NodePane np;
            np.state = wrapped(tr("waiting"), pane);
            np.log = new QPlainTextEdit(pane);
            np.log->setReadOnly(true);
            np.log->setFont(monospace());
            np.log->setTabChangesFocus(true);
            np.log->setLineWrapMode(QPlainTextEdit::NoWrap);
            np.log->setAccessibleName(tr("Log of %1").arg(n.name));
            np.log->setFixedHeight(np.log->fontMetrics().lineSpacing() * 5 + 12);
            pv->addWidget(np.state);
            pv->addWidget(np.log);
            const int i = int(m_nodePanes.size());
            m_nodeGrid->addWidget(pane, i / 2, i % 2);
            m_nodePanes.insert(n.name, np);
            m_nodesNone->hide();
        }
    }
    const QString name = line.section(QStringLiteral(": "), 0, 0);
    const auto it = m_nodePanes.find(name);
    if (it == m_nodePanes.end())
        return;
    QString rest = line.section(QStringLiteral(": "), 1);
    // The node's own log entries carry their time already.
    static const QRegularExpression stamp(QStringLiteral("^\\d\\d:\\d\\d:\\d\\d(\\.\\d+)? "));
    rest.remove(stamp);
    if (!rest.startsWith(QLatin1Char(' ')) && !rest.startsWith(QLatin1String("$ ")) &&
        !rest.startsWith(QLatin1String("--- ")))
        it->state->setText(rest.left(200));
    it->log->appendPlainText(rest);
}

void DeployWizard::nodesFinished()
{
    const State st = runner()->state(QStringLiteral("node-iptables"));
    const QStringList opened =
        runner()->outputs().value(QStringLiteral("nodes.opened")).toStringList();
    const int port = m_plan->port();
    for (auto it = m_nodePanes.begin(); it != m_nodePanes.end(); ++it) {
        bool ours = false;
        for (const QString &o : opened)
            ours = ours || o.section(QLatin1Char('='), 0, 0) == it.key();
        if (st == State::Undone)
            it->state->setText(ours ? tr("Pier's rule for port %1 removed").arg(port)
                                    : tr("Nothing to remove here"));
        else
            it->state->setText(ours ? tr("✔ Port %1 open: Pier added its rule").arg(port)
                                    : tr("✔ Port %1 was open already: nothing changed").arg(port));
        setAccent(it->state, st == State::Done ? Accent::Ok : Accent::None);
    }
}

// ---- the Verify page ------------------------------------------------------------------------

QWidget *DeployWizard::createVerifyExtras(DeployStepPage *page)
{
    auto *box = new QGroupBox(tr("The public page"), page);
    box->setObjectName(QStringLiteral("publicPage"));
    auto *g = new QGridLayout(box);
    g->addWidget(new QLabel(tr("Address:"), box), 0, 0);
    m_url = new QLineEdit(box);
    m_url->setObjectName(QStringLiteral("publicUrl"));
    m_url->setReadOnly(true);
    m_url->setAccessibleName(tr("Public address"));
    g->addWidget(m_url, 0, 1);
    m_copyUrl = new QPushButton(tr("Cop&y Address"), box);
    m_copyUrl->setObjectName(QStringLiteral("copyUrlButton"));
    m_copyUrl->setAutoDefault(false);
    connect(m_copyUrl, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_url->text()); });
    g->addWidget(m_copyUrl, 0, 2);
    m_openUrl = new QPushButton(tr("&Open in Browser"), box);
    m_openUrl->setObjectName(QStringLiteral("openUrlButton"));
    m_openUrl->setAutoDefault(false);
    connect(m_openUrl, &QPushButton::clicked, this,
            [this] { QDesktopServices::openUrl(QUrl(m_url->text())); });
    g->addWidget(m_openUrl, 0, 3);
    g->addWidget(new QLabel(tr("HTTP status:"), box), 1, 0);
    m_pageStatus = wrapped({}, box);
    m_pageStatus->setObjectName(QStringLiteral("pageStatus"));
    g->addWidget(m_pageStatus, 1, 1, 1, 3);
    g->addWidget(new QLabel(tr("Page title:"), box), 2, 0);
    m_pageTitle = wrapped({}, box);
    m_pageTitle->setObjectName(QStringLiteral("pageTitle"));
    QFont f = m_pageTitle->font();
    f.setBold(true);
    m_pageTitle->setFont(f);
    g->addWidget(m_pageTitle, 2, 1, 1, 3);
    g->setColumnStretch(1, 1);
    return box;
}

void DeployWizard::refreshVerify()
{
    if (!m_url)
        return;
    const QVariantMap out = runner() ? runner()->outputs() : QVariantMap();
    const bool done = runner() && runner()->state(QStringLiteral("page")) == State::Done;
    m_url->setText(m_plan ? m_plan->url() : QString());
    const int status = out.value(QStringLiteral("page.status")).toInt();
    m_pageStatus->setText(done && status > 0 ? tr("%1 — the page answers").arg(status)
                                             : tr("not fetched yet"));
    setAccent(m_pageStatus, done && status == 200 ? Accent::Ok : Accent::None);
    m_pageTitle->setText(done ? out.value(QStringLiteral("page.title")).toString() : QString());
    m_copyUrl->setEnabled(!m_url->text().isEmpty());
    m_openUrl->setEnabled(done);
}

} // namespace pier::ui
