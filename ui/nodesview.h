#pragma once

#include "core/profile.h"
#include "nodes/node.h"

#include <QHash>
#include <QList>
#include <QPointer>
#include <QString>
#include <QUrl>
#include <QWidget>

#include <memory>

class QButtonGroup;
class QComboBox;
class QCheckBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QScrollArea;
class QSpinBox;
class QStackedWidget;
class QTabWidget;
class QToolButton;

namespace pier::ssh {
class SshSession;
}
namespace pier::mesos {
class MesosClient;
}
namespace pier::nodes {
class NodeSessionPool;
class NodeDiscovery;
struct LogEntry;
struct FirewallOutcome;
} // namespace pier::nodes

namespace pier::ui {

class AppEditor;
class NodePane;

// The Nodes page: one pane per node of the profile's cluster (tabs or a grid, the user's choice),
// the firewall actions for one node or for all at once (in parallel, each pane with its own
// progress; one failing does not stop the others), and a command box for the selected node or
// all of them. The port comes from the app in the editor (its service port).
class NodesView : public QWidget {
    Q_OBJECT
public:
    enum class Layout { Tabs, Grid };
    enum class Action { None, Diagnose, Open, Undo, Command };

    explicit NodesView(const Profile &profile, QWidget *parent = nullptr);
    ~NodesView() override;

    // The app whose service ports give the port (follows its changes).
    void setAppEditor(AppEditor *editor);
    void setNodes(const QList<nodes::Node> &nodes);
    QList<nodes::Node> nodeList() const { return m_nodes; }
    // Asks the Mesos master at MESOS_URL (empty: none) and the profile for the nodes, then shows
    // one pane each.
    void discover(const QUrl &mesosUrl);
    nodes::NodeSessionPool *sessionPool() const { return m_pool.get(); }
    QList<NodePane *> panes() const { return m_panes; }
    NodePane *pane(const QString &name) const;

    int port() const;
    void setPort(int port);
    Layout layoutMode() const { return m_layout; }
    void setLayoutMode(Layout layout);
    NodePane *selectedPane() const;
    void selectPane(NodePane *pane);

    // Per node and for all (each node on its own session, at once).
    void diagnose(NodePane *pane);
    void open(NodePane *pane);
    void undo(NodePane *pane);
    void retry(NodePane *pane);
    void diagnoseAll();
    void openAll();
    void undoAll();
    // COMMAND on the selected node (allNodes false) or on every node.
    void runCommand(const QString &command, bool allNodes, bool asRoot);
    bool isBusy() const;

    QString summaryText() const;

signals:
    void busyChanged(bool busy);

private:
    struct NodeState;
    void buildUi();
    void updatePortFromApp();
    void updatePortTexts();
    void relayout();
    void updateSummary();
    void start(NodePane *pane, Action action, const QString &command = {}, bool asRoot = false);
    void startFirewall(NodePane *pane, Action action);
    ssh::SshSession *ensureSession(NodePane *pane);
    void onSessionCreated(const nodes::Node &node, ssh::SshSession *session);
    void showOutcome(NodePane *pane, Action action, int port,
                     const nodes::FirewallOutcome &outcome);
    void onPassphraseNeeded(ssh::SshSession *session, const QString &keyFile, bool wrong);
    void askPassphrase(const QString &keyFile, bool wrong);

    Profile m_profile;
    std::unique_ptr<nodes::NodeSessionPool> m_pool;
    std::unique_ptr<mesos::MesosClient> m_mesos;
    QUrl m_mesosUrl;
    std::unique_ptr<nodes::NodeDiscovery> m_discovery;
    QList<nodes::Node> m_nodes;
    QPointer<AppEditor> m_editor;
    Layout m_layout = Layout::Grid;
    QList<NodePane *> m_panes;
    QHash<NodePane *, NodeState *> m_state;

    // Passphrases: asked once for all nodes; stored only when the user ticks "remember".
    QString m_passphrase;
    bool m_passphraseGood = false;
    bool m_rememberPassphrase = false;
    bool m_keychainTried = false;
    bool m_asking = false;
    QList<QPointer<ssh::SshSession>> m_waitingForPassphrase;

    QSpinBox *m_port = nullptr;
    QLabel *m_portSource = nullptr;
    QPushButton *m_diagnoseAll = nullptr;
    QPushButton *m_openAll = nullptr;
    QPushButton *m_undoAll = nullptr;
    QToolButton *m_tabsButton = nullptr;
    QToolButton *m_gridButton = nullptr;
    QLabel *m_summary = nullptr;
    QToolButton *m_refresh = nullptr;
    QLineEdit *m_command = nullptr;
    QComboBox *m_target = nullptr;
    QCheckBox *m_asRoot = nullptr;
    QPushButton *m_run = nullptr;
    QStackedWidget *m_body = nullptr;
    QTabWidget *m_tabs = nullptr;
    QScrollArea *m_gridArea = nullptr;
    QWidget *m_gridHost = nullptr;
    QGridLayout *m_grid = nullptr;
    QLabel *m_empty = nullptr;
};

} // namespace pier::ui
