#include "ui/passphraseprompt.h"

#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QList>
#include <QVBoxLayout>

namespace pier::ui {

namespace {
QList<PassphrasePrompt::Answer> s_answers;
int s_count = 0;
} // namespace

PassphrasePrompt::Answer PassphrasePrompt::ask(QWidget *parent, const QString &keyFile,
                                               bool previousWasWrong)
{
    ++s_count;
    if (!s_answers.isEmpty())
        return s_answers.takeFirst();

    QDialog dialog(parent);
    dialog.setObjectName(QStringLiteral("passphraseDialog"));
    dialog.setWindowTitle(tr("SSH Key Passphrase"));
    auto *v = new QVBoxLayout(&dialog);
    auto *text =
        new QLabel(previousWasWrong ? tr("That passphrase did not open %1. Try again:").arg(keyFile)
                                    : tr("The SSH key %1 is protected by a passphrase. Enter it to "
                                         "reach the nodes:")
                                          .arg(keyFile),
                   &dialog);
    text->setWordWrap(true);
    v->addWidget(text);
    auto *edit = new QLineEdit(&dialog);
    edit->setObjectName(QStringLiteral("passphraseEdit"));
    edit->setEchoMode(QLineEdit::Password);
    text->setBuddy(edit);
    v->addWidget(edit);
    auto *remember = new QCheckBox(tr("&Remember in the keychain"), &dialog);
    remember->setObjectName(QStringLiteral("rememberPassphrase"));
    remember->setToolTip(tr("Without this, Pier asks again after it restarts."));
    v->addWidget(remember);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    v->addWidget(buttons);

    Answer a;
    if (dialog.exec() == QDialog::Accepted) {
        a.given = true;
        a.passphrase = edit->text();
        a.remember = remember->isChecked();
    }
    return a;
}

void PassphrasePrompt::setNextAnswer(const Answer &answer)
{
    s_answers << answer;
}

void PassphrasePrompt::clearAnswers()
{
    s_answers.clear();
    s_count = 0;
}

int PassphrasePrompt::questionCount()
{
    return s_count;
}

} // namespace pier::ui
