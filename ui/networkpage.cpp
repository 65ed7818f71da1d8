#include "ui/networkpage.h"

#include "cli/gcecmd.h"
#include "gce/gcesteps.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QFontDatabase>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTime>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace pier::ui {

NetworkPage::NetworkPage(ProfileSource profile, QWidget *parent)
    : QWidget(parent), m_profile(std::move(profile))
{
    auto *layout = new QVBoxLayout(this);
    auto *heading = new QLabel(tr("<h2>Network</h2>The app's public address on Google Compute "
                                  "Engine: an external address, a target pool of the cluster's "
                                  "nodes, a forwarding rule, and a firewall rule for the tagged "
                                  "nodes."),
                               this);
    heading->setWordWrap(true);
    layout->addWidget(heading);

    auto *controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Service port:"), this));
    m_port = new QSpinBox(this);
    m_port->setObjectName(QStringLiteral("port"));
    m_port->setRange(1, 65535);
    m_port->setValue(80);
    controls->addWidget(m_port);
    m_healthCheck = new QCheckBox(tr("Health check (only nodes that answer get visitors)"), this);
    m_healthCheck->setObjectName(QStringLiteral("healthCheck"));
    controls->addWidget(m_healthCheck);
    controls->addStretch();
    m_check = new QPushButton(tr("Check"), this);
    m_check->setObjectName(QStringLiteral("check"));
    m_check->setToolTip(tr("Look at what exists; changes nothing."));
    m_apply = new QPushButton(tr("Apply"), this);
    m_apply->setObjectName(QStringLiteral("apply"));
    m_apply->setToolTip(tr("Create what is missing; what exists with the same settings is used."));
    m_teardown = new QPushButton(tr("Remove"), this);
    m_teardown->setObjectName(QStringLiteral("teardown"));
    m_teardown->setToolTip(tr("Remove everything Pier made on GCE, and nothing else."));
    controls->addWidget(m_check);
    controls->addWidget(m_apply);
    controls->addWidget(m_teardown);
    layout->addLayout(controls);

    m_where = new QLabel(this);
    m_where->setObjectName(QStringLiteral("where"));
    m_where->setWordWrap(true);
    layout->addWidget(m_where);
    m_address = new QLabel(tr("External address: not set up yet."), this);
    m_address->setObjectName(QStringLiteral("address"));
    m_address->setOpenExternalLinks(true);
    m_address->setTextInteractionFlags(Qt::TextBrowserInteraction);
    layout->addWidget(m_address);

    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    m_cards = new QWidget(scroll);
    m_cardsLayout = new QVBoxLayout(m_cards);
    m_cardsLayout->addStretch();
    scroll->setWidget(m_cards);
    layout->addWidget(scroll, 3);

    m_log = new QPlainTextEdit(this);
    m_log->setObjectName(QStringLiteral("log"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(2000);
    m_log->setPlaceholderText(tr("What Pier does on GCE appears here."));
    layout->addWidget(m_log, 1);

    connect(m_check, &QPushButton::clicked, this, &NetworkPage::check);
    connect(m_apply, &QPushButton::clicked, this, &NetworkPage::apply);
    connect(m_teardown, &QPushButton::clicked, this, &NetworkPage::teardown);
}

NetworkPage::~NetworkPage() = default;

QString NetworkPage::stepStatus(const QString &stepId) const
{
    return m_status.value(stepId);
}

bool NetworkPage::prepare(bool forTeardown)
{
    if (m_busy)
        return false;
    m_runner.clear();
    m_steps.clear();
    m_owner = std::make_unique<QObject>();
    const Profile profile = m_profile();
    cli::GceSetup setup;
    ApiError error;
    if (!cli::gceSetup(profile, {}, m_owner.get(), &setup, &error)) {
        m_where->setText(error.toText());
        log(error.toText());
        return false;
    }
    m_journal = std::make_unique<PlanJournal>(setup.journalPath);
    QString journalError;
    if (!m_journal->load(&journalError)) {
        m_where->setText(journalError);
        return false;
    }
    setup.target.port = m_port->value();
    setup.target.healthCheck =
        m_healthCheck->isChecked() ||
        (forTeardown && m_journal->stepIds().contains(QStringLiteral("health-check")));
    m_where->setText(
        tr("Project %1, region %2, zone %3, as %4.")
            .arg(setup.target.project, setup.target.region, setup.target.zone, setup.who));
    auto *context = new gce::GceContext(setup.client, setup.target, m_owner.get());
    m_runner = new PlanRunner(m_owner.get());
    m_steps = gce::makeGceSteps(context);
    for (Step *s : std::as_const(m_steps))
        m_runner->addStep(s);
    m_runner->setJournal(m_journal.get());
    m_runner->setMaxParallel(8);
    connect(m_runner, &PlanRunner::stepStateChanged, this,
            [this](const QString &id, PlanRunner::StepState state, const QString &message) {
                setStatus(id, PlanRunner::stateName(state), message);
            });
    connect(m_runner, &PlanRunner::stepProgress, this,
            [this](const QString &id, const QString &text) {
                if (m_cardById.contains(id))
                    m_cardById[id].progress->setText(text);
                log(id + QStringLiteral(": ") + text);
            });
    showSteps();
    m_busy = true;
    m_check->setEnabled(false);
    m_apply->setEnabled(false);
    m_teardown->setEnabled(false);
    return true;
}

void NetworkPage::showSteps()
{
    while (m_cardsLayout->count() > 1) {
        QLayoutItem *item = m_cardsLayout->takeAt(0);
        delete item->widget();
        delete item;
    }
    m_cardById.clear();
    m_status.clear();
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    int n = 0;
    for (Step *s : std::as_const(m_steps)) {
        auto *frame = new QFrame(m_cards);
        frame->setObjectName(QStringLiteral("step-") + s->id());
        frame->setFrameShape(QFrame::StyledPanel);
        auto *v = new QVBoxLayout(frame);
        auto *top = new QHBoxLayout;
        auto *title = new QLabel(
            QStringLiteral("<b>%1. %2</b>").arg(++n).arg(s->title().toHtmlEscaped()), frame);
        Card card;
        card.status = new QLabel(tr("not checked"), frame);
        card.status->setObjectName(QStringLiteral("status"));
        top->addWidget(title, 1);
        top->addWidget(card.status);
        v->addLayout(top);
        auto *why = new QLabel(s->explanation(), frame);
        why->setWordWrap(true);
        v->addWidget(why);
        auto *cmdRow = new QHBoxLayout;
        card.command = new QPlainTextEdit(s->equivalentCommand(), frame);
        card.command->setObjectName(QStringLiteral("command"));
        card.command->setReadOnly(true);
        card.command->setFont(mono);
        // Wrapped for reading; Copy takes the text as it is, one command per line.
        card.command->setLineWrapMode(QPlainTextEdit::WidgetWidth);
        const int lines = int(s->equivalentCommand().count(QLatin1Char('\n'))) + 1;
        card.command->setFixedHeight(QFontMetrics(mono).lineSpacing() * qMin(lines + 1, 5) + 14);
        auto *copy = new QToolButton(frame);
        copy->setObjectName(QStringLiteral("copy"));
        copy->setText(tr("Copy"));
        copy->setToolTip(tr("Copy the equivalent gcloud command"));
        connect(copy, &QToolButton::clicked, this,
                [edit = card.command] { QApplication::clipboard()->setText(edit->toPlainText()); });
        cmdRow->addWidget(card.command, 1);
        cmdRow->addWidget(copy, 0, Qt::AlignTop);
        v->addLayout(cmdRow);
        card.progress = new QLabel(frame);
        card.progress->setObjectName(QStringLiteral("progress"));
        card.progress->setWordWrap(true);
        v->addWidget(card.progress);
        m_cardsLayout->insertWidget(m_cardsLayout->count() - 1, frame);
        m_cardById.insert(s->id(), card);
    }
}

void NetworkPage::setStatus(const QString &id, const QString &status, const QString &message)
{
    m_status.insert(id, status);
    if (!m_cardById.contains(id))
        return;
    Card &c = m_cardById[id];
    c.status->setText(status);
    if (!message.isEmpty())
        c.progress->setText(message);
    // Discovered names (the nodes, the network) make the command exact once known.
    for (Step *s : std::as_const(m_steps)) {
        if (s->id() == id)
            c.command->setPlainText(s->equivalentCommand());
    }
    Step *s = m_runner ? m_runner->step(id) : nullptr;
    log(QStringLiteral("%1: %2%3")
            .arg(s ? s->title() : id, status,
                 message.isEmpty() ? QString() : QStringLiteral(" — ") + message));
}

void NetworkPage::log(const QString &line)
{
    m_log->appendPlainText(QTime::currentTime().toString(QStringLiteral("HH:mm:ss ")) + line);
}

void NetworkPage::setUrl(const QString &ip, int port)
{
    if (ip.isEmpty()) {
        m_url.clear();
        m_address->setText(tr("External address: none (no forwarding rule)."));
        return;
    }
    m_url = port == 80 ? QStringLiteral("http://%1/").arg(ip)
                       : QStringLiteral("http://%1:%2/").arg(ip).arg(port);
    m_address->setText(tr("External address: <a href=\"%1\">%1</a>").arg(m_url.toHtmlEscaped()));
}

void NetworkPage::done(bool ok)
{
    m_busy = false;
    m_check->setEnabled(true);
    m_apply->setEnabled(true);
    m_teardown->setEnabled(true);
    emit finished(ok);
}

void NetworkPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_checkedOnce || m_busy)
        return;
    m_checkedOnce = true;
    QTimer::singleShot(0, this, &NetworkPage::check);
}

void NetworkPage::check()
{
    if (!prepare(false))
        return;
    log(tr("Checking what exists (nothing is changed)…"));
    QVariantMap outputs;
    for (const QString &id : m_journal->stepIds())
        outputs.insert(m_journal->entry(id).outputs);
    checkNext(0, outputs);
}

void NetworkPage::checkNext(int index, QVariantMap outputs)
{
    if (index >= m_steps.size()) {
        setUrl(outputs.value(QStringLiteral("rule.ip")).toString(), m_port->value());
        return done(true);
    }
    Step *s = m_steps.at(index);
    setStatus(s->id(), tr("checking"), {});
    QPointer<NetworkPage> self(this);
    s->check(outputs, [self, s, index, outputs](const StepResult &r) mutable {
        if (!self)
            return;
        auto word = [](StepResult::Status st) {
            switch (st) {
            case StepResult::Status::Done:
                return tr("present");
            case StepResult::Status::Needed:
                return tr("to do");
            case StepResult::Status::Blocked:
                return tr("conflict");
            case StepResult::Status::Failed:
                return tr("error");
            case StepResult::Status::Cancelled:
                break;
            }
            return tr("cancelled");
        };
        const bool mine = self->m_journal->entry(s->id()).applied;
        self->setStatus(s->id(),
                        word(r.status) + (mine && r.ok() ? tr(" (made by Pier)") : QString()),
                        r.message);
        outputs.insert(r.outputs);
        QMetaObject::invokeMethod(
            self, [self, index, outputs] { self->checkNext(index + 1, outputs); },
            Qt::QueuedConnection);
    });
}

void NetworkPage::apply()
{
    if (!prepare(false))
        return;
    log(tr("Applying…"));
    connect(m_runner, &PlanRunner::finished, this, [this](bool ok) {
        setUrl(m_runner->outputs().value(QStringLiteral("rule.ip")).toString(), m_port->value());
        log(ok ? tr("Done: %1 reaches the nodes.").arg(m_url)
               : tr("Not finished: see the steps above. Apply again to continue, or Remove."));
        done(ok);
    });
    m_runner->start();
}

void NetworkPage::teardown()
{
    if (!prepare(true))
        return;
    log(tr("Removing what Pier made…"));
    connect(m_runner, &PlanRunner::finished, this, [this](bool ok) {
        if (ok)
            setUrl({}, 0);
        log(ok ? tr("Removed everything Pier made on GCE.")
               : tr("Removal stopped; see the steps above and try again."));
        done(ok);
    });
    m_runner->undoAll();
}

} // namespace pier::ui
