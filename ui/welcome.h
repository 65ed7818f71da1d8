#pragma once

#include <QWidget>

class QLabel;
class QPushButton;

namespace pier::ui {

// The first start, with no cluster profile yet: two ways in, the sandbox or a real cluster.
class Welcome : public QWidget {
    Q_OBJECT
public:
    explicit Welcome(QWidget *parent = nullptr);

    // While the sandbox starts: the buttons wait and the text says what happens.
    void setBusy(const QString &text);
    void setProblem(const QString &text);

signals:
    void startSandboxRequested();
    void createProfileRequested();

private:
    QPushButton *m_sandbox = nullptr;
    QPushButton *m_create = nullptr;
    QLabel *m_status = nullptr;
};

} // namespace pier::ui
