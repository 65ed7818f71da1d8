#pragma once

#include "core/plan.h"
#include "core/profile.h"

#include <QHash>
#include <QPointer>
#include <QWidget>
#include <functional>
#include <memory>

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QVBoxLayout;

namespace pier::ui {

// The Network page: the GCE steps that put the app on an external address (the tutorial's
// addresses / target pools / forwarding rules / tags / firewall commands), each with its
// explanation, its equivalent gcloud command (copyable), its status and progress, a log, and
// the external address as a link. Check looks without changing anything; Apply makes it so;
// Remove takes away what Pier made. Settings come from the profile (GCE project, zone,
// credentials, endpoint) at the moment a button is pressed.
class NetworkPage : public QWidget {
    Q_OBJECT
public:
    using ProfileSource = std::function<Profile()>;
    explicit NetworkPage(ProfileSource profile, QWidget *parent = nullptr);
    ~NetworkPage() override;

    QString externalUrl() const { return m_url; }
    QString stepStatus(const QString &stepId) const; // as shown: "done", "to do", ...
    bool isBusy() const { return m_busy; }

public slots:
    void check();
    void apply();
    void teardown();

signals:
    void finished(bool ok); // after check, apply or teardown

private:
    struct Card {
        QLabel *status = nullptr;
        QLabel *progress = nullptr;
        QPlainTextEdit *command = nullptr;
    };
    bool prepare(bool forTeardown);
    void showSteps();
    void setStatus(const QString &id, const QString &status, const QString &message);
    void log(const QString &line);
    void done(bool ok);
    void checkNext(int index, QVariantMap outputs);
    void setUrl(const QString &ip, int port);

    ProfileSource m_profile;
    QSpinBox *m_port = nullptr;
    QCheckBox *m_healthCheck = nullptr;
    QPushButton *m_check = nullptr, *m_apply = nullptr, *m_teardown = nullptr;
    QLabel *m_where = nullptr;
    QLabel *m_address = nullptr;
    QWidget *m_cards = nullptr;
    QVBoxLayout *m_cardsLayout = nullptr;
    QPlainTextEdit *m_log = nullptr;
    QHash<QString, Card> m_cardById;
    QHash<QString, QString> m_status;

    std::unique_ptr<QObject> m_owner; // client, context, runner of the current action
    QPointer<PlanRunner> m_runner;
    QList<Step *> m_steps;
    std::unique_ptr<PlanJournal> m_journal;
    QString m_url;
    bool m_busy = false;
};

} // namespace pier::ui
