#pragma once

#include "core/profile.h"

#include <QDialog>
#include <QMap>
#include <memory>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace pier::marathon {
class MarathonClient;
}

namespace pier::ui {

// Creates or edits one cluster profile: a form in sections (cluster, private network, SSH,
// Google Compute Engine, resource names). Passwords, tokens, passphrases and keys typed here go
// to the keychain on Save, never to the profile file; an empty secret field keeps what the
// keychain has. "Test connection" asks Marathon for /v2/info with what the form says.
class ProfileEditor : public QDialog {
    Q_OBJECT
public:
    // `originalName` empty: a new profile.
    explicit ProfileEditor(const Profile &profile, const QString &originalName = {},
                           QWidget *parent = nullptr);
    ~ProfileEditor() override;

    Profile profile() const; // what the form says
    // The secrets typed in (only the non-empty ones).
    QMap<Profile::Secret, QString> secrets() const;

    // Saves the profile (and its secrets in the keychain); shows and returns false on a problem.
    bool save();
    // Runs the connection test; the result shows under the button (and testResult()).
    void testConnection();
    QString testResult() const;

signals:
    void testFinished(bool ok);

private:
    QLineEdit *line(const QString &objectName, const QString &placeholder = {});
    QWidget *withBrowse(QLineEdit *edit, const QString &title, bool directory = false);
    void updateAuthFields();
    void showProblem(const QString &text);

    QString m_originalName;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_marathon = nullptr;
    QLineEdit *m_mesos = nullptr;
    QComboBox *m_auth = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_password = nullptr;
    QLabel *m_passwordLabel = nullptr;
    QLabel *m_userLabel = nullptr;
    QLineEdit *m_caFile = nullptr;
    QLineEdit *m_vpn = nullptr;
    QLineEdit *m_socks = nullptr;
    QLineEdit *m_sshUser = nullptr;
    QLineEdit *m_sshKey = nullptr;
    QLineEdit *m_sshPassphrase = nullptr;
    QSpinBox *m_sshPort = nullptr;
    QLineEdit *m_knownHosts = nullptr;
    QLineEdit *m_gceProject = nullptr;
    QLineEdit *m_gceRegion = nullptr;
    QLineEdit *m_gceZone = nullptr;
    QComboBox *m_gceCredentials = nullptr;
    QLineEdit *m_gceKeyFile = nullptr;
    QLineEdit *m_gceEndpoint = nullptr;
    QLineEdit *m_address = nullptr;
    QLineEdit *m_pool = nullptr;
    QLineEdit *m_rule = nullptr;
    QLineEdit *m_firewall = nullptr;
    QLineEdit *m_tag = nullptr;
    QPushButton *m_test = nullptr;
    QLabel *m_testResult = nullptr;
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    std::unique_ptr<marathon::MarathonClient> m_client;
};

} // namespace pier::ui
