#include "ui/welcome.h"

#include <QIcon>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace pier::ui {

namespace {

QPushButton *choice(const QString &title, const QString &text, const QString &objectName)
{
    auto *button = new QPushButton;
    button->setObjectName(objectName);
    button->setMinimumHeight(64);
    // The title and one line of why, in the button, so the whole choice is one click target.
    auto *layout = new QVBoxLayout(button);
    auto *heading = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()));
    auto *body = new QLabel(text);
    body->setWordWrap(true);
    for (QLabel *l : {heading, body}) {
        l->setAttribute(Qt::WA_TransparentForMouseEvents);
        layout->addWidget(l);
    }
    button->setAccessibleName(title);
    button->setAccessibleDescription(text);
    return button;
}

} // namespace

Welcome::Welcome(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("welcome"));
    auto *icon = new QLabel;
    icon->setPixmap(QIcon(QStringLiteral(":/pier/icons/pier.svg")).pixmap(72, 72));
    icon->setAlignment(Qt::AlignHCenter);
    auto *title = new QLabel(tr("<h1>Welcome to Pier</h1>"));
    title->setAlignment(Qt::AlignHCenter);
    auto *intro = new QLabel(
        tr("Pier takes a web container from an app definition to a page anyone can open, on "
           "a Mesos cluster with Marathon. Each cluster you work with gets a profile: where "
           "it answers, how to reach it, and the Google Compute Engine project behind it."));
    intro->setWordWrap(true);

    m_sandbox = choice(tr("Start the sandbox"),
                       tr("A small practice cluster on this computer. Nothing leaves the machine; "
                          "a good first step."),
                       QStringLiteral("startSandbox"));
    m_create = choice(tr("Create a profile for an existing cluster"),
                      tr("You know the address of your Marathon (e.g. http://10.240.0.2:8080) "
                         "and how to reach it."),
                      QStringLiteral("createProfile"));
    connect(m_sandbox, &QPushButton::clicked, this, &Welcome::startSandboxRequested);
    connect(m_create, &QPushButton::clicked, this, &Welcome::createProfileRequested);

    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("welcomeStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *column = new QVBoxLayout;
    column->addStretch(1);
    column->addWidget(icon);
    column->addWidget(title);
    column->addWidget(intro);
    column->addSpacing(16);
    column->addWidget(m_sandbox);
    column->addWidget(m_create);
    column->addSpacing(8);
    column->addWidget(m_status);
    column->addStretch(2);
    auto *center = new QHBoxLayout(this);
    center->addStretch(1);
    center->addLayout(column, 3);
    center->addStretch(1);
    m_sandbox->setFocus();
}

void Welcome::setBusy(const QString &text)
{
    m_sandbox->setEnabled(text.isEmpty());
    m_create->setEnabled(text.isEmpty());
    m_status->setText(text);
}

void Welcome::setProblem(const QString &text)
{
    m_sandbox->setEnabled(true);
    m_create->setEnabled(true);
    m_status->setText(text);
}

} // namespace pier::ui
