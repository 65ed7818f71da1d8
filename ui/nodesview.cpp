#include "ui/nodesview.h"

#include "mesos/mesosclient.h"
#include "nodes/nodediscovery.h"
#include "nodes/nodefirewalljob.h"
#include "nodes/nodesessionpool.h"
#include "secrets/secretstore.h"
#include "ssh/sshprofile.h"
#include "ssh/sshsession.h"
#include "ui/appeditor.h"
#include "ui/nodepane.h"
#include "ui/passphraseprompt.h"

#include <QAction>
#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>
#include <functional>

namespace pier::ui {

// What runs on a node, and what to repeat on Retry.
struct NodesView::NodeState {
    nodes::Node node;
    QPointer<nodes::NodeFirewallJob> job;
    Action running = Action::None;
    Action last = Action::None;
    QString lastCommand;
    bool lastAsRoot = false;
};

NodesView::NodesView(const Profile &profile, QWidget *parent)
    : QWidget(parent), m_profile(profile), m_pool(std::make_unique<nodes::NodeSessionPool>(profile))
{
    setObjectName(QStringLiteral("nodesView"));
    connect(m_pool.get(), &nodes::NodeSessionPool::sessionCreated, this,
            &NodesView::onSessionCreated);
    connect(m_pool.get(), &nodes::NodeSessionPool::stateChanged, this, &NodesView::updateSummary);
    buildUi();
    updatePortTexts();
    updateSummary();
}

NodesView::~NodesView()
{
    // Jobs and sessions first (they stop their workers), while the panes that follow them exist.
    for (NodeState *s : std::as_const(m_state)) {
        delete s->job.data();
        delete s;
    }
    m_pool.reset();
}

void NodesView::buildUi()
{
    auto *v = new QVBoxLayout(this);
    v->setContentsMargins(8, 8, 8, 8);
    v->setSpacing(6);

    // Row 1: the port, the actions for all nodes, the layout.
    auto *top = new QHBoxLayout;
    top->setSpacing(6);
    auto *portLabel = new QLabel(tr("Por&t:"), this);
    m_port = new QSpinBox(this);
    m_port->setObjectName(QStringLiteral("nodesPort"));
    m_port->setRange(1, 65535);
    m_port->setValue(80);
    portLabel->setBuddy(m_port);
    connect(m_port, &QSpinBox::valueChanged, this, &NodesView::updatePortTexts);
    top->addWidget(portLabel);
    top->addWidget(m_port);
    m_portSource = new QLabel(this);
    m_portSource->setObjectName(QStringLiteral("nodesPortSource"));
    m_portSource->setForegroundRole(QPalette::PlaceholderText);
    top->addWidget(m_portSource);
    top->addSpacing(12);

    m_diagnoseAll = new QPushButton(this);
    m_diagnoseAll->setObjectName(QStringLiteral("nodesDiagnoseAll"));
    connect(m_diagnoseAll, &QPushButton::clicked, this, &NodesView::diagnoseAll);
    m_openAll = new QPushButton(this);
    m_openAll->setObjectName(QStringLiteral("nodesOpenAll"));
    connect(m_openAll, &QPushButton::clicked, this, &NodesView::openAll);
    m_undoAll = new QPushButton(tr("U&ndo on all"), this);
    m_undoAll->setObjectName(QStringLiteral("nodesUndoAll"));
    m_undoAll->setToolTip(tr("Remove the rules Pier added, on every node at once"));
    connect(m_undoAll, &QPushButton::clicked, this, &NodesView::undoAll);
    top->addWidget(m_diagnoseAll);
    top->addWidget(m_openAll);
    top->addWidget(m_undoAll);
    top->addStretch(1);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("nodesSummary"));
    top->addWidget(m_summary);
    top->addSpacing(8);

    m_refresh = new QToolButton(this);
    m_refresh->setObjectName(QStringLiteral("nodesRefresh"));
    m_refresh->setText(tr("R&efresh"));
    m_refresh->setToolTip(tr("Ask Mesos and the profile for the nodes again (open sessions are "
                             "closed)"));
    m_refresh->setEnabled(false);
    connect(m_refresh, &QToolButton::clicked, this, [this] {
        if (!isBusy())
            discover(m_mesosUrl);
    });
    top->addWidget(m_refresh);

    m_tabsButton = new QToolButton(this);
    m_tabsButton->setObjectName(QStringLiteral("nodesTabsLayout"));
    m_tabsButton->setText(tr("Ta&bs"));
    m_tabsButton->setToolTip(tr("One node at a time, in tabs"));
    m_tabsButton->setCheckable(true);
    m_gridButton = new QToolButton(this);
    m_gridButton->setObjectName(QStringLiteral("nodesGridLayout"));
    m_gridButton->setText(tr("&Grid"));
    m_gridButton->setToolTip(tr("Every node side by side"));
    m_gridButton->setCheckable(true);
    m_gridButton->setChecked(true);
    auto *group = new QButtonGroup(this);
    group->setExclusive(true);
    group->addButton(m_tabsButton);
    group->addButton(m_gridButton);
    connect(m_tabsButton, &QToolButton::clicked, this, [this] { setLayoutMode(Layout::Tabs); });
    connect(m_gridButton, &QToolButton::clicked, this, [this] { setLayoutMode(Layout::Grid); });
    top->addWidget(m_tabsButton);
    top->addWidget(m_gridButton);
    v->addLayout(top);

    // Row 2: any command, on the selected node or on all.
    auto *cmd = new QHBoxLayout;
    cmd->setSpacing(6);
    auto *cmdLabel = new QLabel(tr("&Command:"), this);
    m_command = new QLineEdit(this);
    m_command->setObjectName(QStringLiteral("nodesCommand"));
    m_command->setPlaceholderText(tr("e.g. iptables -S INPUT"));
    m_command->setClearButtonEnabled(true);
    cmdLabel->setBuddy(m_command);
    m_target = new QComboBox(this);
    m_target->setObjectName(QStringLiteral("nodesCommandTarget"));
    m_target->addItem(tr("on the selected node"));
    m_target->addItem(tr("on all nodes"));
    m_target->setAccessibleName(tr("Where the command runs"));
    m_asRoot = new QCheckBox(tr("as &root (sudo -n)"), this);
    m_asRoot->setObjectName(QStringLiteral("nodesCommandAsRoot"));
    m_run = new QPushButton(tr("R&un"), this);
    m_run->setObjectName(QStringLiteral("nodesRun"));
    const auto run = [this] {
        const QString c = m_command->text().trimmed();
        if (!c.isEmpty())
            runCommand(c, m_target->currentIndex() == 1, m_asRoot->isChecked());
    };
    connect(m_run, &QPushButton::clicked, this, run);
    connect(m_command, &QLineEdit::returnPressed, this, run);
    cmd->addWidget(cmdLabel);
    cmd->addWidget(m_command, 1);
    cmd->addWidget(m_target);
    cmd->addWidget(m_asRoot);
    cmd->addWidget(m_run);
    v->addLayout(cmd);

    m_body = new QStackedWidget(this);
    m_tabs = new QTabWidget(m_body);
    m_tabs->setObjectName(QStringLiteral("nodesTabs"));
    m_tabs->setDocumentMode(true);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int i) {
        if (m_layout == Layout::Tabs && i >= 0 && i < m_panes.size())
            selectPane(m_panes.at(i));
    });
    m_gridArea = new QScrollArea(m_body);
    m_gridArea->setObjectName(QStringLiteral("nodesGrid"));
    m_gridArea->setWidgetResizable(true);
    m_gridArea->setFrameShape(QFrame::NoFrame);
    m_gridHost = new QWidget;
    m_grid = new QGridLayout(m_gridHost);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setSpacing(8);
    m_gridArea->setWidget(m_gridHost);
    m_empty = new QLabel(m_body);
    m_empty->setObjectName(QStringLiteral("nodesEmpty"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setText(tr("No nodes yet. Pier lists the agents Mesos knows and the nodes added to "
                        "the profile by hand."));
    m_body->addWidget(m_tabs);
    m_body->addWidget(m_gridArea);
    m_body->addWidget(m_empty);
    m_body->setCurrentWidget(m_empty);
    v->addWidget(m_body, 1);
    setFocusProxy(m_command);

    // The selected node's buttons from the keyboard (the panes' own buttons carry no mnemonics:
    // side by side, four panes would make them ambiguous).
    const auto shortcut = [this](const QKeySequence &keys, const QString &name,
                                 std::function<void(NodePane *)> fn) {
        auto *a = new QAction(this);
        a->setObjectName(name);
        a->setShortcut(keys);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        connect(a, &QAction::triggered, this, [this, fn] {
            if (NodePane *p = selectedPane())
                fn(p);
        });
        addAction(a);
    };
    shortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D),
             QStringLiteral("nodesDiagnoseSelected"), [this](NodePane *p) { diagnose(p); });
    shortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), QStringLiteral("nodesOpenSelected"),
             [this](NodePane *p) { open(p); });
    shortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_U), QStringLiteral("nodesUndoSelected"),
             [this](NodePane *p) { undo(p); });
    shortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R), QStringLiteral("nodesRetrySelected"),
             [this](NodePane *p) { retry(p); });
    // Ctrl+PgDown / Ctrl+PgUp: the next / previous node, as between tabs.
    const auto step = [this](int delta) {
        if (m_panes.isEmpty())
            return;
        const int i = int(m_panes.indexOf(selectedPane()));
        selectPane(m_panes.at((qMax(i, 0) + delta + int(m_panes.size())) % int(m_panes.size())));
    };
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_PageDown), QStringLiteral("nodesNext"),
             [step](NodePane *) { step(1); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_PageUp), QStringLiteral("nodesPrevious"),
             [step](NodePane *) { step(-1); });
}

void NodesView::setAppEditor(AppEditor *editor)
{
    if (m_editor)
        disconnect(m_editor, nullptr, this, nullptr);
    m_editor = editor;
    if (editor)
        connect(editor, &AppEditor::changed, this, &NodesView::updatePortFromApp);
    updatePortFromApp();
}

void NodesView::updatePortFromApp()
{
    QList<int> ports;
    QString appId;
    if (m_editor) {
        const marathon::AppDefinition def = m_editor->definition();
        appId = def.id();
        // In host networking the ports (portDefinitions' "port", legacy "ports") are the
        // service ports; with port mappings it is their servicePort.
        const bool host = def.networkMode() == marathon::NetworkMode::Host;
        for (const marathon::PortMapping &p : def.portMappings()) {
            const int service = host ? p.hostPort : p.servicePort;
            const bool tcp = p.protocol.isEmpty() || p.protocol.contains(QLatin1String("tcp"));
            if (service > 0 && tcp && !ports.contains(service))
                ports << service;
        }
    }
    const QString app = appId.isEmpty() ? tr("the app") : appId;
    // One service port: that is the port. None or several: the user picks, starting from the first.
    if (ports.size() == 1) {
        m_port->setValue(ports.first());
        m_portSource->setText(tr("(the service port of %1)").arg(app));
    } else if (ports.isEmpty()) {
        m_port->setValue(80);
        m_portSource->setText(tr("(%1 has no service port; 80 by default)").arg(app));
    } else {
        QStringList list;
        for (int p : ports)
            list << QString::number(p);
        m_port->setValue(ports.first());
        m_portSource->setText(tr("(%1 has several service ports: %2)").arg(app, list.join(u", ")));
    }
}

void NodesView::updatePortTexts()
{
    const int p = port();
    m_diagnoseAll->setText(tr("&Diagnose port %1 on all").arg(p));
    m_diagnoseAll->setToolTip(tr("Read every node's iptables rules at once and say whether port "
                                 "%1 gets through, and which rule decides")
                                  .arg(p));
    m_openAll->setText(tr("&Open port %1 on all").arg(p));
    m_openAll->setToolTip(tr("Let port %1 through on every node at once; a node that fails does "
                             "not stop the others")
                              .arg(p));
    for (NodePane *pane : std::as_const(m_panes))
        pane->setPort(p);
}

int NodesView::port() const
{
    return m_port->value();
}

void NodesView::setPort(int port)
{
    m_port->setValue(port);
}

void NodesView::setNodes(const QList<nodes::Node> &nodes)
{
    for (NodePane *pane : std::as_const(m_panes)) {
        NodeState *s = m_state.take(pane);
        delete s->job.data();
        m_pool->close(s->node.name);
        delete s;
        delete pane;
    }
    m_panes.clear();
    m_nodes = nodes;
    for (const nodes::Node &n : nodes) {
        auto *pane = new NodePane(n.name, n.address);
        pane->setPort(port());
        m_panes << pane;
        auto *state = new NodeState;
        state->node = n;
        m_state.insert(pane, state);
        connect(pane, &NodePane::diagnoseClicked, this, [this, pane] { diagnose(pane); });
        connect(pane, &NodePane::openClicked, this, [this, pane] { open(pane); });
        connect(pane, &NodePane::undoClicked, this, [this, pane] { undo(pane); });
        connect(pane, &NodePane::retryClicked, this, [this, pane] { retry(pane); });
        connect(pane, &NodePane::activated, this, [this, pane] { selectPane(pane); });
    }
    relayout();
    if (!m_panes.isEmpty())
        selectPane(m_panes.first());
    updateSummary();
}

void NodesView::discover(const QUrl &mesosUrl)
{
    m_discovery.reset();
    m_mesos.reset();
    m_mesosUrl = mesosUrl;
    m_refresh->setEnabled(false);
    if (mesosUrl.isValid()) {
        mesos::MesosConfig config;
        config.url = mesosUrl;
        config.timeoutMs = 8000;
        m_mesos = std::make_unique<mesos::MesosClient>(config);
    }
    m_discovery = std::make_unique<nodes::NodeDiscovery>(m_mesos.get(), m_profile.nodes);
    m_empty->setText(tr("Looking for the cluster's nodes…"));
    connect(m_discovery.get(), &nodes::NodeDiscovery::finished, this, [this] {
        m_refresh->setEnabled(true);
        setNodes(m_discovery->nodes());
        QStringList notes;
        if (m_discovery->error().isError())
            notes << tr("Mesos did not answer, so only the profile's nodes are shown: %1")
                         .arg(m_discovery->error().toText());
        for (const QString &p : m_discovery->problems())
            notes << tr("Skipped the profile's node entry %1: not a host name or address.").arg(p);
        if (m_panes.isEmpty())
            m_empty->setText(notes.isEmpty()
                                 ? tr("No nodes: Mesos lists no agents and the profile adds none. "
                                      "Add nodes by hand in the profile (Profiles ▸ Edit).")
                                 : notes.join(u'\n'));
        for (NodePane *pane : std::as_const(m_panes)) {
            for (const QString &n : std::as_const(notes))
                pane->log()->append(CommandLog::Kind::Info, n);
        }
    });
    m_discovery->start();
}

NodePane *NodesView::pane(const QString &name) const
{
    for (NodePane *p : m_panes) {
        if (p->name() == name)
            return p;
    }
    return nullptr;
}

void NodesView::setLayoutMode(Layout layout)
{
    m_layout = layout;
    m_tabsButton->setChecked(layout == Layout::Tabs);
    m_gridButton->setChecked(layout == Layout::Grid);
    relayout();
}

void NodesView::relayout()
{
    NodePane *selected = selectedPane();
    // Panes move between the two containers; taking them out first keeps Qt from deleting them.
    while (m_tabs->count() > 0)
        m_tabs->removeTab(0);
    while (QLayoutItem *item = m_grid->takeAt(0))
        delete item;
    if (m_panes.isEmpty()) {
        m_body->setCurrentWidget(m_empty);
        return;
    }
    if (m_layout == Layout::Tabs) {
        for (NodePane *pane : std::as_const(m_panes))
            m_tabs->addTab(pane, pane->name());
        m_body->setCurrentWidget(m_tabs);
        if (selected)
            m_tabs->setCurrentWidget(selected);
    } else {
        // Two columns up to four nodes, then as square as it gets.
        const int n = m_panes.size();
        const int columns = n <= 4 ? qMin(n, 2) : int(std::ceil(std::sqrt(double(n))));
        for (int i = 0; i < n; ++i) {
            m_panes.at(i)->setParent(m_gridHost);
            m_grid->addWidget(m_panes.at(i), i / columns, i % columns);
            m_panes.at(i)->show();
        }
        for (int c = 0; c < columns; ++c)
            m_grid->setColumnStretch(c, 1);
        const int rows = (n + columns - 1) / columns;
        for (int r = 0; r < rows; ++r)
            m_grid->setRowStretch(r, 1);
        // Logs need room: below a useful size the grid scrolls instead of squeezing them.
        for (NodePane *pane : std::as_const(m_panes))
            pane->setMinimumSize(360, 300);
        m_body->setCurrentWidget(m_gridArea);
    }
}

NodePane *NodesView::selectedPane() const
{
    for (NodePane *p : m_panes) {
        if (p->isSelected())
            return p;
    }
    return nullptr;
}

void NodesView::selectPane(NodePane *pane)
{
    for (NodePane *p : std::as_const(m_panes))
        p->setSelected(p == pane);
    if (pane)
        m_target->setItemText(0, tr("on %1").arg(pane->name()));
    if (pane && m_layout == Layout::Tabs && m_tabs->currentWidget() != pane)
        m_tabs->setCurrentWidget(pane);
    if (pane && m_layout == Layout::Grid)
        m_gridArea->ensureWidgetVisible(pane, 0, 0);
}

void NodesView::diagnose(NodePane *pane)
{
    start(pane, Action::Diagnose);
}
void NodesView::open(NodePane *pane)
{
    start(pane, Action::Open);
}
void NodesView::undo(NodePane *pane)
{
    start(pane, Action::Undo);
}

void NodesView::retry(NodePane *pane)
{
    NodeState *s = m_state.value(pane);
    if (!s)
        return;
    // A failed session is connected again by the next action.
    if (s->last == Action::None)
        ensureSession(pane);
    else
        start(pane, s->last, s->lastCommand, s->lastAsRoot);
}

void NodesView::diagnoseAll()
{
    for (NodePane *pane : std::as_const(m_panes))
        diagnose(pane);
}
void NodesView::openAll()
{
    for (NodePane *pane : std::as_const(m_panes))
        open(pane);
}
void NodesView::undoAll()
{
    for (NodePane *pane : std::as_const(m_panes))
        undo(pane);
}

void NodesView::runCommand(const QString &command, bool allNodes, bool asRoot)
{
    if (allNodes) {
        for (NodePane *pane : std::as_const(m_panes))
            start(pane, Action::Command, command, asRoot);
    } else if (NodePane *pane = selectedPane()) {
        start(pane, Action::Command, command, asRoot);
    }
}

bool NodesView::isBusy() const
{
    for (const NodePane *p : m_panes) {
        if (p->isBusy())
            return true;
    }
    return false;
}

QString NodesView::summaryText() const
{
    return m_summary->text();
}

void NodesView::updateSummary()
{
    int ready = 0, failed = 0, busy = 0;
    for (const NodePane *p : std::as_const(m_panes)) {
        const ssh::SshSession *session = p->session();
        if (session && session->state() == ssh::SshState::Ready)
            ++ready;
        if ((session && session->state() == ssh::SshState::Failed) ||
            p->outcome() == NodePane::Outcome::Failed)
            ++failed;
        if (p->isBusy())
            ++busy;
    }
    QStringList parts{tr("%n node(s)", nullptr, int(m_panes.size()))};
    if (ready)
        parts << tr("%1 connected").arg(ready);
    if (busy)
        parts << tr("%1 busy").arg(busy);
    if (failed)
        parts << tr("%1 failed").arg(failed);
    m_summary->setText(parts.join(QStringLiteral(", ")));
    m_summary->setToolTip(m_summary->text());
}

void NodesView::start(NodePane *pane, Action action, const QString &command, bool asRoot)
{
    NodeState *s = m_state.value(pane);
    if (!s || pane->isBusy())
        return;
    s->last = action;
    s->lastCommand = command;
    s->lastAsRoot = asRoot;
    if (action != Action::Command) {
        startFirewall(pane, action);
        updateSummary();
        return;
    }
    ssh::SshSession *session = ensureSession(pane);
    pane->setActionProgress(tr("Running %1").arg(command), 0, 0);
    pane->log()->append(CommandLog::Kind::Command,
                        asRoot ? QStringLiteral("sudo -n ") + command : command);
    ssh::SshCommand *c = asRoot ? session->runAsRoot(command) : session->run(command);
    connect(c, &ssh::SshCommand::stdoutData, pane, [pane](const QByteArray &d) {
        pane->log()->appendOutput(CommandLog::Kind::Stdout, d);
    });
    connect(c, &ssh::SshCommand::stderrData, pane, [pane](const QByteArray &d) {
        pane->log()->appendOutput(CommandLog::Kind::Stderr, d);
    });
    connect(c, &ssh::SshCommand::finished, pane,
            [this, pane, c, command](const ssh::SshCommandResult &r) {
                pane->log()->flush();
                pane->setActionFinished(r.ok(), r.ok() ? tr("%1: done").arg(command)
                                                       : tr("%1: %2").arg(command, r.summary()));
                c->deleteLater();
                updateSummary();
            });
    updateSummary();
}

void NodesView::startFirewall(NodePane *pane, Action action)
{
    NodeState *s = m_state.value(pane);
    nodes::FirewallRequest request;
    request.port = quint16(port());
    request.action = action == Action::Open   ? nodes::FirewallAction::Open
                     : action == Action::Undo ? nodes::FirewallAction::Undo
                                              : nodes::FirewallAction::Diagnose;
    const QString doing = action == Action::Open   ? tr("Opening port %1").arg(port())
                          : action == Action::Undo ? tr("Undoing Pier's rules")
                                                   : tr("Diagnosing port %1").arg(port());
    ssh::SshSession *session = ensureSession(pane);
    auto *job = new nodes::NodeFirewallJob(session, s->node, request, this);
    s->job = job;
    s->running = action;
    pane->setActionProgress(doing + QStringLiteral("…"), 0, job->totalSteps());
    connect(job, &nodes::NodeFirewallJob::progress, pane,
            [pane, doing](int done, int total, const QString &what) {
                pane->setActionProgress(tr("%1: %2").arg(doing, what), done, total);
            });
    connect(job, &nodes::NodeFirewallJob::logged, pane, [pane](const nodes::LogEntry &e) {
        using K = nodes::LogEntry::Kind;
        const CommandLog::Kind kind = e.kind == K::Command  ? CommandLog::Kind::Command
                                      : e.kind == K::Stdout ? CommandLog::Kind::Stdout
                                      : e.kind == K::Stderr ? CommandLog::Kind::Stderr
                                      : e.kind == K::Error  ? CommandLog::Kind::Problem
                                                            : CommandLog::Kind::Info;
        pane->log()->append(kind, e.text);
    });
    connect(
        job, &nodes::NodeFirewallJob::finished, this,
        [this, pane, job, action, p = int(request.port)](const nodes::FirewallOutcome &outcome) {
            if (NodeState *st = m_state.value(pane); st && st->job == job) {
                st->running = Action::None;
                st->job = nullptr;
            }
            job->deleteLater();
            showOutcome(pane, action, p, outcome);
            updateSummary();
        });
    job->start();
}

void NodesView::showOutcome(NodePane *pane, Action action, int p,
                            const nodes::FirewallOutcome &outcome)
{
    if (outcome.diagnosed) {
        const firewall::Diagnosis &d = outcome.current();
        pane->setVerdict(firewall::verdictName(d.verdict), d.decisive().summary(), d.reason);
    }
    // The job logged its full message; the pane's line says the gist (the verdict has its own).
    QString text;
    if (!outcome.ok) {
        text = outcome.error.isEmpty() ? outcome.message : outcome.error;
    } else if (action == Action::Open) {
        const int added = int(outcome.plan.steps.size());
        text = !outcome.changed ? tr("Port %1 was open already: nothing changed").arg(p)
               : added == 1     ? tr("Opened port %1: 1 rule added").arg(p)
                                : tr("Opened port %1: %2 rules added").arg(p).arg(added);
    } else if (action == Action::Undo) {
        text = outcome.changed ? tr("Undone: Pier's rules removed")
                               : tr("Nothing to undo: no rule of Pier's on this node");
    } else {
        text = tr("Diagnosed port %1").arg(p);
    }
    pane->setActionFinished(outcome.ok, text, false);
}

ssh::SshSession *NodesView::ensureSession(NodePane *pane)
{
    NodeState *s = m_state.value(pane);
    // The pool keeps one session per node and connects a failed or closed one again.
    return m_pool->session(s->node);
}

void NodesView::onSessionCreated(const nodes::Node &node, ssh::SshSession *session)
{
    NodePane *pane = this->pane(node.name);
    if (!pane)
        return;
    pane->attachSession(session);
    pane->log()->append(
        CommandLog::Kind::Info,
        tr("Connecting to %1 as %2…")
            .arg(node.address, m_profile.sshUser.isEmpty() ? tr("your user") : m_profile.sshUser));
    connect(session, &ssh::SshSession::passphraseNeeded, this,
            [this, session](const QString &keyFile, bool wrong) {
                onPassphraseNeeded(session, keyFile, wrong);
            });
    connect(session, &ssh::SshSession::keyUnlocked, this, [this] {
        if (m_passphraseGood)
            return;
        m_passphraseGood = true;
        m_pool->setPassphrase(m_passphrase); // sessions opened later try it first
        if (m_rememberPassphrase && !m_profile.name.isEmpty()) {
            auto *store = new SecretStore(QStringLiteral("Pier"), this);
            store->write(Profile::secretKey(m_profile.name, Profile::Secret::SshKeyPassphrase),
                         m_passphrase, [store](const ApiError &) { store->deleteLater(); });
        }
    });
}

void NodesView::onPassphraseNeeded(ssh::SshSession *session, const QString &keyFile, bool wrong)
{
    // One passphrase for every node: the last one given is handed on, and the user is asked
    // again only when it turned out wrong.
    if (!m_passphrase.isEmpty() && !wrong) {
        session->providePassphrase(m_passphrase);
        return;
    }
    if (wrong) {
        m_passphrase.clear();
        m_passphraseGood = false;
    }
    m_waitingForPassphrase << session;
    if (m_asking)
        return;
    m_asking = true;
    if (!m_keychainTried && !wrong && !m_profile.name.isEmpty()) {
        m_keychainTried = true;
        auto *store = new SecretStore(QStringLiteral("Pier"), this);
        store->read(Profile::secretKey(m_profile.name, Profile::Secret::SshKeyPassphrase),
                    [this, store, keyFile](const SecretStore::ReadResult &r) {
                        store->deleteLater();
                        if (!r.found) {
                            askPassphrase(keyFile, false);
                            return;
                        }
                        m_asking = false;
                        m_passphrase = r.value;
                        const auto waiting = std::exchange(m_waitingForPassphrase, {});
                        for (const auto &s : waiting) {
                            if (s)
                                s->providePassphrase(r.value);
                        }
                    });
        return;
    }
    askPassphrase(keyFile, wrong);
}

void NodesView::askPassphrase(const QString &keyFile, bool wrong)
{
    const PassphrasePrompt::Answer a = PassphrasePrompt::ask(this, keyFile, wrong);
    m_asking = false;
    const auto waiting = std::exchange(m_waitingForPassphrase, {});
    if (a.given) {
        m_passphrase = a.passphrase;
        m_rememberPassphrase = a.remember;
    }
    for (const auto &s : waiting) {
        if (!s)
            continue;
        if (a.given)
            s->providePassphrase(a.passphrase);
        else
            s->refusePassphrase();
    }
}

} // namespace pier::ui
