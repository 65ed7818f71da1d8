#include "ui/nodepane.h"

#include "ssh/sshsession.h"
#include "ssh/sshtypes.h"
#include "ui/accents.h"

#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

namespace pier::ui {

NodePane::NodePane(const QString &name, const QString &address, QWidget *parent)
    : QFrame(parent), m_name(name), m_address(address)
{
    setObjectName(QStringLiteral("nodePane"));
    setProperty("node", name);
    setFrameShape(QFrame::StyledPanel);
    setFocusPolicy(Qt::ClickFocus);
    setAccessibleName(tr("Node %1").arg(name));

    auto *v = new QVBoxLayout(this);
    v->setContentsMargins(8, 6, 8, 6);
    v->setSpacing(4);

    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("nodeTitle"));
    m_title->setTextFormat(Qt::PlainText);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setText(address.isEmpty() || address == name ? name
                                                          : tr("%1 — %2").arg(name, address));
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    v->addWidget(m_title);

    const auto stateLabel = [this](const QString &objectName) {
        auto *l = new QLabel(this);
        l->setObjectName(objectName);
        l->setTextFormat(Qt::PlainText);
        l->setWordWrap(true);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        return l;
    };
    // Connection and host key: one line each, with the host-key buttons beside their line.
    auto *grid = new QGridLayout;
    grid->setHorizontalSpacing(8);
    grid->setVerticalSpacing(2);
    auto *connCaption = new QLabel(tr("SSH:"), this);
    m_connection = stateLabel(QStringLiteral("nodeConnection"));
    grid->addWidget(connCaption, 0, 0, Qt::AlignTop);
    grid->addWidget(m_connection, 0, 1, 1, 2);
    auto *keyCaption = new QLabel(tr("Host key:"), this);
    m_hostKeyLabel = stateLabel(QStringLiteral("nodeHostKey"));
    grid->addWidget(keyCaption, 1, 0, Qt::AlignTop);
    grid->addWidget(m_hostKeyLabel, 1, 1);
    auto *keyButtons = new QHBoxLayout;
    keyButtons->setSpacing(4);
    m_acceptKey = new QPushButton(tr("Accept key"), this);
    m_acceptKey->setObjectName(QStringLiteral("nodeAcceptKey"));
    m_acceptKey->setToolTip(tr("Trust this key and add it to known_hosts. Compare the fingerprint "
                               "with the one the node's console shows first."));
    m_rejectKey = new QPushButton(tr("Reject"), this);
    m_rejectKey->setObjectName(QStringLiteral("nodeRejectKey"));
    keyButtons->addWidget(m_acceptKey);
    keyButtons->addWidget(m_rejectKey);
    grid->addLayout(keyButtons, 1, 2, Qt::AlignTop);
    m_acceptKey->hide();
    m_rejectKey->hide();
    connect(m_acceptKey, &QPushButton::clicked, this, [this] {
        if (m_session)
            m_session->acceptHostKey();
        setHostKey(HostKey::Accepted, tr("accepted by you and added to known_hosts"));
    });
    connect(m_rejectKey, &QPushButton::clicked, this, [this] {
        if (m_session)
            m_session->rejectHostKey();
        setHostKey(HostKey::Rejected, tr("rejected: Pier will not connect to this node"));
    });
    auto *fwCaption = new QLabel(tr("Firewall:"), this);
    m_verdict = stateLabel(QStringLiteral("nodeVerdict"));
    m_verdict->setText(tr("not diagnosed yet"));
    grid->addWidget(fwCaption, 2, 0, Qt::AlignTop);
    grid->addWidget(m_verdict, 2, 1, 1, 2);
    grid->setColumnStretch(1, 1);
    v->addLayout(grid);

    auto *actionRow = new QHBoxLayout;
    actionRow->setSpacing(6);
    m_action = stateLabel(QStringLiteral("nodeAction"));
    actionRow->addWidget(m_action, 1);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("nodeProgress"));
    m_progress->setMaximumWidth(140);
    m_progress->setTextVisible(false);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    actionRow->addWidget(m_progress);
    v->addLayout(actionRow);

    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(4);
    const auto button = [this, buttons](const QString &objectName) {
        auto *b = new QPushButton(this);
        b->setObjectName(objectName);
        b->setAutoDefault(false);
        buttons->addWidget(b);
        return b;
    };
    m_diagnose = button(QStringLiteral("nodeDiagnose"));
    m_open = button(QStringLiteral("nodeOpen"));
    m_undo = button(QStringLiteral("nodeUndo"));
    m_undo->setText(tr("Undo"));
    m_undo->setToolTip(tr("Remove the rules Pier added on this node (and save again where it "
                          "saved them) (Ctrl+Shift+U on the selected node)"));
    m_retry = button(QStringLiteral("nodeRetry"));
    m_retry->setText(tr("Retry"));
    m_retry->setToolTip(tr("Connect again and repeat the last action (Ctrl+Shift+R on the "
                           "selected node)"));
    m_retry->hide();
    buttons->addStretch(1);
    connect(m_diagnose, &QPushButton::clicked, this, &NodePane::diagnoseClicked);
    connect(m_open, &QPushButton::clicked, this, &NodePane::openClicked);
    connect(m_undo, &QPushButton::clicked, this, &NodePane::undoClicked);
    connect(m_retry, &QPushButton::clicked, this, &NodePane::retryClicked);
    v->addLayout(buttons);

    m_log = new CommandLog(this);
    m_log->setObjectName(QStringLiteral("nodeLog"));
    v->addWidget(m_log, 1);

    setPort(80);
    m_connection->setText(tr("not connected"));
    setHostKey(HostKey::Unchecked, tr("not checked yet"));
    updateButtons();
    updateFrame();
}

void NodePane::attachSession(ssh::SshSession *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    if (!session)
        return;
    connect(session, &ssh::SshSession::stateChanged, this, &NodePane::onStateChanged);
    connect(session, &ssh::SshSession::hostKeyUnknown, this, &NodePane::onHostKeyUnknown);
    connect(session, &ssh::SshSession::hostKeyChanged, this, [this](const ssh::SshHostKey &key) {
        setHostKey(HostKey::Changed,
                   tr("CHANGED: refused. The node now sends %1 %2, not the key in known_hosts: "
                      "either it was reinstalled, or someone is intercepting the connection. "
                      "See the SSH line for what to do.")
                       .arg(key.type, key.fingerprint));
    });
    onStateChanged(session->state(), session->reason());
}

ssh::SshSession *NodePane::session() const
{
    return m_session;
}

void NodePane::onStateChanged(ssh::SshState state, const QString &reason)
{
    using S = ssh::SshState;
    m_failed = state == S::Failed;
    m_connected = state == S::Ready;
    Accent accent = Accent::None;
    QString text;
    switch (state) {
    case S::Idle:
        text = tr("not connected");
        break;
    case S::Connecting:
        text = tr("Connecting…");
        break;
    case S::VerifyingHostKey:
        text = tr("Waiting for you to accept or reject the host key…");
        break;
    case S::Authenticating:
        text = tr("Logging in…");
        break;
    case S::Ready:
        text = m_session && !m_session->user().isEmpty()
                   ? tr("Ready (logged in as %1)").arg(m_session->user())
                   : tr("Ready");
        accent = Accent::Ok;
        break;
    case S::Failed:
        text = tr("Failed: %1").arg(reason);
        accent = Accent::Error;
        break;
    case S::Closed:
        text = reason.isEmpty() ? tr("Closed") : tr("Closed: %1").arg(reason);
        break;
    }
    m_connection->setText(text);
    setAccent(m_connection, accent);

    // A key that has been known all along goes through without a question.
    if ((state == S::Authenticating || state == S::Ready) &&
        (m_hostKey == HostKey::Unchecked || m_hostKey == HostKey::Unknown))
        setHostKey(HostKey::Known, tr("known (matches known_hosts)"));
    if (state == S::Failed && m_hostKey == HostKey::Unknown)
        setHostKey(HostKey::Rejected, tr("not accepted"));
    if (m_failed)
        m_log->append(CommandLog::Kind::Problem, tr("SSH failed: %1").arg(reason));
    updateButtons();
}

void NodePane::onHostKeyUnknown(const ssh::SshHostKey &key)
{
    setHostKey(HostKey::Unknown,
               tr("UNKNOWN: %1 %2\nNot in %3. Accept it only if it is the node's key.")
                   .arg(key.type, key.fingerprint, key.knownHostsFile));
}

void NodePane::setHostKey(HostKey state, const QString &text)
{
    m_hostKey = state;
    m_hostKeyLabel->setText(text);
    const bool ask = state == HostKey::Unknown;
    m_acceptKey->setVisible(ask);
    m_rejectKey->setVisible(ask);
    setAccent(m_hostKeyLabel, state == HostKey::Changed || state == HostKey::Rejected
                                  ? Accent::Error
                                  : Accent::None);
}

void NodePane::setPort(int port)
{
    m_diagnose->setText(tr("Diagnose port %1").arg(port));
    m_diagnose->setToolTip(
        tr("Read this node's iptables rules and say whether a new connection to port %1 from "
           "outside the cluster gets through, and which rule decides (Ctrl+Shift+D on the "
           "selected node)")
            .arg(port));
    m_open->setText(tr("Open port %1").arg(port));
    m_open->setToolTip(tr("Add the smallest rules that let port %1 through, before the rule "
                          "that blocks it; nothing when it is open already (Ctrl+Shift+O on the "
                          "selected node)")
                           .arg(port));
}

void NodePane::setSelected(bool selected)
{
    if (m_selected == selected)
        return;
    m_selected = selected;
    updateFrame();
}

void NodePane::setActionProgress(const QString &text, int done, int total)
{
    m_outcome = Outcome::Running;
    m_action->setText(text);
    setAccent(m_action, Accent::None);
    if (total <= 0) {
        m_progress->setRange(0, 0);
    } else {
        m_progress->setRange(0, total);
        m_progress->setValue(qBound(0, done, total));
    }
    updateButtons();
}

void NodePane::setActionFinished(bool ok, const QString &text, bool addToLog)
{
    m_outcome = ok ? Outcome::Succeeded : Outcome::Failed;
    m_action->setText(text);
    setAccent(m_action, ok ? Accent::Ok : Accent::Error);
    m_progress->setRange(0, 1);
    m_progress->setValue(ok ? 1 : 0);
    if (addToLog)
        m_log->append(ok ? CommandLog::Kind::Ok : CommandLog::Kind::Problem, text);
    updateButtons();
}

void NodePane::setVerdict(const QString &verdict, const QString &rule, const QString &reason)
{
    QString words;
    Accent accent = Accent::None;
    if (verdict == QLatin1String("accepted")) {
        words = tr("ACCEPTED");
        accent = Accent::Ok;
    } else if (verdict == QLatin1String("blocked")) {
        words = tr("BLOCKED");
        accent = Accent::Error;
    } else {
        words = tr("UNKNOWN");
    }
    QString text = words;
    if (!rule.isEmpty())
        text += QStringLiteral(" — ") + rule;
    if (!reason.isEmpty())
        text += QLatin1Char('\n') + reason;
    m_verdict->setText(text);
    setAccent(m_verdict, accent);
}

QString NodePane::connectionText() const
{
    return m_connection->text();
}
QString NodePane::hostKeyText() const
{
    return m_hostKeyLabel->text();
}
QString NodePane::actionText() const
{
    return m_action->text();
}
QString NodePane::verdictText() const
{
    return m_verdict->text();
}

void NodePane::updateButtons()
{
    const bool busy = isBusy();
    m_diagnose->setEnabled(!busy);
    m_open->setEnabled(!busy);
    m_undo->setEnabled(!busy);
    m_retry->setVisible(!busy && (m_failed || m_outcome == Outcome::Failed));
}

void NodePane::updateFrame()
{
    // The selected pane (the one the command box runs on) has its title in the selection colours.
    m_title->setAutoFillBackground(m_selected);
    m_title->setBackgroundRole(m_selected ? QPalette::Highlight : QPalette::Window);
    m_title->setForegroundRole(m_selected ? QPalette::HighlightedText : QPalette::WindowText);
    m_title->setContentsMargins(4, 2, 4, 2);
}

void NodePane::mousePressEvent(QMouseEvent *event)
{
    emit activated();
    QFrame::mousePressEvent(event);
}

void NodePane::focusInEvent(QFocusEvent *event)
{
    emit activated();
    QFrame::focusInEvent(event);
}

} // namespace pier::ui
