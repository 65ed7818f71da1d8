#include "ui/profileeditor.h"

#include "cli/connection.h"
#include "core/profilestore.h"
#include "marathon/marathonclient.h"
#include "secrets/secretstore.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace pier::ui {

namespace {

QGroupBox *section(const QString &title, const QString &why, QFormLayout **form)
{
    auto *box = new QGroupBox(title);
    auto *layout = new QVBoxLayout(box);
    if (!why.isEmpty()) {
        auto *text = new QLabel(why);
        text->setWordWrap(true);
        text->setForegroundRole(QPalette::PlaceholderText);
        layout->addWidget(text);
    }
    *form = new QFormLayout;
    (*form)->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    layout->addLayout(*form);
    return box;
}

} // namespace

ProfileEditor::ProfileEditor(const Profile &p, const QString &originalName, QWidget *parent)
    : QDialog(parent), m_originalName(originalName)
{
    setObjectName(QStringLiteral("profileEditor"));
    setWindowTitle(originalName.isEmpty() ? tr("New Cluster Profile")
                                          : tr("Edit Profile \u201c%1\u201d").arg(originalName));

    auto *content = new QWidget;
    auto *column = new QVBoxLayout(content);

    QFormLayout *form = nullptr;
    column->addWidget(
        section(tr("Cluster"),
                tr("Where Marathon and the Mesos master answer: usually the master's internal "
                   "address, reached over the VPN."),
                &form));
    m_name = line(QStringLiteral("name"), tr("e.g. production"));
    form->addRow(tr("&Name:"), m_name);
    m_marathon = line(QStringLiteral("marathonUrl"), tr("http://10.240.0.2:8080"));
    form->addRow(tr("&Marathon:"), m_marathon);
    m_mesos = line(QStringLiteral("mesosUrl"), tr("http://10.240.0.2:5050"));
    form->addRow(tr("M&esos master:"), m_mesos);
    m_auth = new QComboBox;
    m_auth->setObjectName(QStringLiteral("auth"));
    m_auth->addItem(tr("None"), int(Profile::Auth::None));
    m_auth->addItem(tr("User name and password"), int(Profile::Auth::Basic));
    m_auth->addItem(tr("DC/OS token"), int(Profile::Auth::Token));
    form->addRow(tr("&Login:"), m_auth);
    m_user = line(QStringLiteral("authUser"));
    m_userLabel = new QLabel(tr("&User:"));
    m_userLabel->setBuddy(m_user);
    form->addRow(m_userLabel, m_user);
    m_password = line(QStringLiteral("password"));
    m_password->setEchoMode(QLineEdit::Password);
    m_passwordLabel = new QLabel(tr("&Password:"));
    m_passwordLabel->setBuddy(m_password);
    form->addRow(m_passwordLabel, m_password);
    m_caFile = line(QStringLiteral("caFile"), tr("optional, for HTTPS with a private CA"));
    form->addRow(tr("C&A certificates:"), withBrowse(m_caFile, tr("CA Certificates")));
    connect(m_auth, &QComboBox::currentIndexChanged, this, &ProfileEditor::updateAuthFields);

    m_test = new QPushButton(tr("&Test Connection"));
    m_test->setObjectName(QStringLiteral("testConnection"));
    m_testResult = new QLabel;
    m_testResult->setObjectName(QStringLiteral("testResult"));
    m_testResult->setWordWrap(true);
    m_testResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *testRow = new QHBoxLayout;
    testRow->addWidget(m_test);
    testRow->addWidget(m_testResult, 1);
    form->addRow(QString(), testRow);
    connect(m_test, &QPushButton::clicked, this, &ProfileEditor::testConnection);

    column->addWidget(
        section(tr("Private network"),
                tr("How this computer reaches the cluster's internal addresses: an OpenVPN "
                   "configuration, or a SOCKS5 proxy. Leave both empty for a direct route."),
                &form));
    m_vpn = line(QStringLiteral("vpnConfigFile"), tr("cluster.ovpn"));
    form->addRow(tr("&VPN configuration:"), withBrowse(m_vpn, tr("OpenVPN Configuration")));
    m_socks = line(QStringLiteral("socksProxy"), tr("host:port"));
    form->addRow(tr("SOC&KS5 proxy:"), m_socks);

    column->addWidget(
        section(tr("SSH to the nodes"),
                tr("Used to check and open the nodes' firewalls. Host keys are checked "
                   "against known_hosts."),
                &form));
    m_sshUser = line(QStringLiteral("sshUser"), tr("jclouds"));
    form->addRow(tr("SSH &user:"), m_sshUser);
    m_sshKey = line(QStringLiteral("sshKeyFile"), tr("~/.ssh/id_ed25519, or empty for ssh-agent"));
    form->addRow(tr("&Key file:"), withBrowse(m_sshKey, tr("SSH Key")));
    m_sshPassphrase = line(QStringLiteral("sshKeyPassphrase"));
    m_sshPassphrase->setEchoMode(QLineEdit::Password);
    form->addRow(tr("Key &passphrase:"), m_sshPassphrase);
    m_sshPort = new QSpinBox;
    m_sshPort->setObjectName(QStringLiteral("sshPort"));
    m_sshPort->setRange(1, 65535);
    form->addRow(tr("P&ort:"), m_sshPort);
    m_knownHosts = line(QStringLiteral("sshKnownHosts"), tr("~/.ssh/known_hosts"));
    form->addRow(tr("Known &hosts:"), withBrowse(m_knownHosts, tr("Known Hosts")));

    column->addWidget(
        section(tr("Google Compute Engine"),
                tr("The project that makes the page public: its address, load balancer and "
                   "firewall rule."),
                &form));
    m_gceProject = line(QStringLiteral("gceProject"), tr("my-project"));
    form->addRow(tr("Pro&ject:"), m_gceProject);
    m_gceRegion = line(QStringLiteral("gceRegion"), tr("us-central1"));
    form->addRow(tr("&Region:"), m_gceRegion);
    m_gceZone = line(QStringLiteral("gceZone"), tr("us-central1-a"));
    form->addRow(tr("&Zone:"), m_gceZone);
    m_gceCredentials = new QComboBox;
    m_gceCredentials->setObjectName(QStringLiteral("gceCredentials"));
    m_gceCredentials->addItem(tr("Not set"), int(Profile::GceCredentials::None));
    m_gceCredentials->addItem(tr("Service-account key"),
                              int(Profile::GceCredentials::ServiceAccountKey));
    m_gceCredentials->addItem(tr("The gcloud command's login"),
                              int(Profile::GceCredentials::Gcloud));
    m_gceCredentials->addItem(tr("Application default credentials"),
                              int(Profile::GceCredentials::ApplicationDefault));
    form->addRow(tr("&Credentials:"), m_gceCredentials);
    m_gceKeyFile = line(QStringLiteral("gceKeyFile"), tr("the service-account key (JSON)"));
    form->addRow(tr("Ke&y file:"), withBrowse(m_gceKeyFile, tr("Service-Account Key")));
    m_gceEndpoint = line(QStringLiteral("gceEndpoint"), tr("empty: Google's"));
    form->addRow(tr("&Endpoint:"), m_gceEndpoint);

    column->addWidget(
        section(tr("Resource names"), tr("What Pier calls the things it creates on GCE."), &form));
    m_address = line(QStringLiteral("addressName"));
    form->addRow(tr("Static address:"), m_address);
    m_pool = line(QStringLiteral("targetPoolName"));
    form->addRow(tr("Target pool:"), m_pool);
    m_rule = line(QStringLiteral("forwardingRuleName"));
    form->addRow(tr("Forwarding rule:"), m_rule);
    m_firewall = line(QStringLiteral("firewallRuleName"));
    form->addRow(tr("Firewall rule:"), m_firewall);
    m_tag = line(QStringLiteral("networkTag"));
    form->addRow(tr("Node tag:"), m_tag);
    column->addStretch(1);

    auto *scroll = new QScrollArea;
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);

    m_problem = new QLabel;
    m_problem->setObjectName(QStringLiteral("problem"));
    m_problem->setWordWrap(true);
    m_problem->hide();
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        if (save())
            accept();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(scroll, 1);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);
    resize(620, 720);

    // Fill in.
    m_name->setText(p.name);
    m_marathon->setText(p.marathonUrl);
    m_mesos->setText(p.mesosUrl);
    m_auth->setCurrentIndex(m_auth->findData(int(p.auth)));
    m_user->setText(p.authUser);
    m_caFile->setText(p.caFile);
    m_vpn->setText(p.vpnConfigFile);
    m_socks->setText(p.socksProxy);
    m_sshUser->setText(p.sshUser);
    m_sshKey->setText(p.sshKeyFile);
    m_sshPort->setValue(p.sshPort);
    m_knownHosts->setText(p.sshKnownHosts);
    m_gceProject->setText(p.gceProject);
    m_gceRegion->setText(p.gceRegion);
    m_gceZone->setText(p.gceZone);
    m_gceCredentials->setCurrentIndex(m_gceCredentials->findData(int(p.gceCredentials)));
    m_gceKeyFile->setText(p.gceKeyFile);
    m_gceEndpoint->setText(p.gceEndpoint);
    m_address->setText(p.addressName);
    m_pool->setText(p.targetPoolName);
    m_rule->setText(p.forwardingRuleName);
    m_firewall->setText(p.firewallRuleName);
    m_tag->setText(p.networkTag);
    // Secrets are never read back into the form: an empty field keeps the keychain's.
    for (QLineEdit *secret : {m_password, m_sshPassphrase}) {
        secret->setPlaceholderText(originalName.isEmpty()
                                       ? tr("kept in the system keychain, never in a file")
                                       : tr("unchanged (kept in the system keychain)"));
    }
    updateAuthFields();
    m_name->setFocus();
}

ProfileEditor::~ProfileEditor() = default;

QLineEdit *ProfileEditor::line(const QString &objectName, const QString &placeholder)
{
    auto *edit = new QLineEdit;
    edit->setObjectName(objectName);
    edit->setPlaceholderText(placeholder);
    edit->setClearButtonEnabled(true);
    return edit;
}

QWidget *ProfileEditor::withBrowse(QLineEdit *edit, const QString &title, bool directory)
{
    auto *row = new QWidget;
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(edit, 1);
    auto *browse = new QToolButton;
    browse->setText(tr("Browse\u2026"));
    browse->setToolTip(tr("Choose the file"));
    layout->addWidget(browse);
    connect(browse, &QToolButton::clicked, this, [this, edit, title, directory] {
        const QString path = directory
                                 ? QFileDialog::getExistingDirectory(this, title, edit->text())
                                 : QFileDialog::getOpenFileName(this, title, edit->text());
        if (!path.isEmpty())
            edit->setText(path);
    });
    return row;
}

void ProfileEditor::updateAuthFields()
{
    const auto auth = Profile::Auth(m_auth->currentData().toInt());
    m_user->setEnabled(auth == Profile::Auth::Basic);
    m_userLabel->setEnabled(auth == Profile::Auth::Basic);
    m_password->setEnabled(auth != Profile::Auth::None);
    m_passwordLabel->setEnabled(auth != Profile::Auth::None);
    m_passwordLabel->setText(auth == Profile::Auth::Token ? tr("&Token:") : tr("&Password:"));
}

Profile ProfileEditor::profile() const
{
    Profile p;
    p.name = m_name->text().trimmed();
    p.marathonUrl = m_marathon->text().trimmed();
    p.mesosUrl = m_mesos->text().trimmed();
    p.auth = Profile::Auth(m_auth->currentData().toInt());
    p.authUser = m_user->text().trimmed();
    p.caFile = m_caFile->text().trimmed();
    p.vpnConfigFile = m_vpn->text().trimmed();
    p.socksProxy = m_socks->text().trimmed();
    p.sshUser = m_sshUser->text().trimmed();
    p.sshKeyFile = m_sshKey->text().trimmed();
    p.sshPort = m_sshPort->value();
    p.sshKnownHosts = m_knownHosts->text().trimmed();
    p.gceProject = m_gceProject->text().trimmed();
    p.gceRegion = m_gceRegion->text().trimmed();
    p.gceZone = m_gceZone->text().trimmed();
    p.gceCredentials = Profile::GceCredentials(m_gceCredentials->currentData().toInt());
    p.gceKeyFile = m_gceKeyFile->text().trimmed();
    p.gceEndpoint = m_gceEndpoint->text().trimmed();
    p.addressName = m_address->text().trimmed();
    p.targetPoolName = m_pool->text().trimmed();
    p.forwardingRuleName = m_rule->text().trimmed();
    p.firewallRuleName = m_firewall->text().trimmed();
    p.networkTag = m_tag->text().trimmed();
    return p;
}

QMap<Profile::Secret, QString> ProfileEditor::secrets() const
{
    QMap<Profile::Secret, QString> result;
    const auto auth = Profile::Auth(m_auth->currentData().toInt());
    if (auth != Profile::Auth::None && !m_password->text().isEmpty())
        result.insert(auth == Profile::Auth::Token ? Profile::Secret::MarathonToken
                                                   : Profile::Secret::MarathonPassword,
                      m_password->text());
    if (!m_sshPassphrase->text().isEmpty())
        result.insert(Profile::Secret::SshKeyPassphrase, m_sshPassphrase->text());
    return result;
}

void ProfileEditor::showProblem(const QString &text)
{
    m_problem->setText(text);
    m_problem->setVisible(!text.isEmpty());
}

bool ProfileEditor::save()
{
    const Profile p = profile();
    QString problem;
    if (!Profile::isValidName(p.name, &problem)) {
        showProblem(problem);
        m_name->setFocus();
        return false;
    }
    if (!p.marathonUrl.isEmpty() && !cli::normalizeMarathonUrl(p.marathonUrl, &problem).isValid()) {
        showProblem(problem);
        m_marathon->setFocus();
        return false;
    }
    // Secrets first: a profile whose password could not be kept safe is not saved half-way.
    SecretStore keychain;
    const QMap<Profile::Secret, QString> typed = secrets();
    for (auto it = typed.begin(); it != typed.end(); ++it) {
        if (const ApiError e = keychain.writeNow(Profile::secretKey(p.name, it.key()), it.value());
            e) {
            showProblem(tr("Not saved: %1").arg(e.toText()));
            return false;
        }
    }
    ProfileStore store;
    ApiError e;
    const bool ok =
        m_originalName.isEmpty() ? store.create(p, &e) : store.update(m_originalName, p, &e);
    if (!ok) {
        showProblem(e.toText());
        return false;
    }
    // A renamed profile takes its secrets along.
    if (!m_originalName.isEmpty() && m_originalName != p.name) {
        for (const Profile::Secret s : Profile::allSecrets()) {
            if (typed.contains(s))
                continue;
            const SecretStore::ReadResult r =
                keychain.readNow(Profile::secretKey(m_originalName, s));
            if (r.found)
                keychain.writeNow(Profile::secretKey(p.name, s), r.value);
            keychain.removeNow(Profile::secretKey(m_originalName, s));
        }
    }
    showProblem({});
    return true;
}

void ProfileEditor::testConnection()
{
    // The button stays enabled while a test runs (disabling it would throw the keyboard focus
    // to the next field); a second click simply waits for the first answer.
    if (m_test->property("busy").toBool())
        return;
    const Profile p = profile();
    QString problem;
    const QUrl url = cli::normalizeMarathonUrl(p.marathonUrl, &problem);
    if (!url.isValid()) {
        m_testResult->setText(problem);
        emit testFinished(false);
        return;
    }
    marathon::MarathonConfig config;
    config.urls = {url};
    config.caFile = p.caFile;
    config.socksProxy = p.socksProxy;
    config.maxRetries = 0;
    config.timeoutMs = 8000;
    if (p.auth != Profile::Auth::None) {
        QString secret = m_password->text();
        if (secret.isEmpty() && !m_originalName.isEmpty()) {
            const auto kind = p.auth == Profile::Auth::Token ? Profile::Secret::MarathonToken
                                                             : Profile::Secret::MarathonPassword;
            secret = SecretStore().readNow(Profile::secretKey(m_originalName, kind)).value;
        }
        config.auth = p.auth == Profile::Auth::Token ? marathon::MarathonConfig::Auth::Token
                                                     : marathon::MarathonConfig::Auth::Basic;
        config.username = p.authUser;
        (p.auth == Profile::Auth::Token ? config.token : config.password) = secret;
    }
    m_client = std::make_unique<marathon::MarathonClient>(config);
    m_test->setProperty("busy", true);
    m_testResult->setText(tr("Asking %1\u2026").arg(url.toString()));
    marathon::MarathonReply *reply = m_client->info();
    connect(reply, &marathon::MarathonReply::finished, this, [this, reply] {
        reply->deleteLater();
        m_test->setProperty("busy", false);
        if (reply->error()) {
            m_testResult->setText(tr("\u2717 %1").arg(reply->error().toText()));
            emit testFinished(false);
            return;
        }
        const marathon::MarathonInfo info = reply->info();
        m_testResult->setText(
            tr("\u2713 Connected: Marathon %1 (%2)").arg(info.version, reply->url().authority()));
        emit testFinished(true);
    });
}

QString ProfileEditor::testResult() const
{
    return m_testResult->text();
}

} // namespace pier::ui
