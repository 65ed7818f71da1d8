#pragma once

#include <QCoreApplication>
#include <QString>

class QWidget;

namespace pier::ui {

// Asks for an SSH key's passphrase, with a "Remember in the keychain" box. Tests pre-set the
// answer instead of facing the dialog, as with MessageBox.
class PassphrasePrompt {
    Q_DECLARE_TR_FUNCTIONS(PassphrasePrompt)
public:
    struct Answer {
        bool given = false; // false: the user cancelled
        QString passphrase;
        bool remember = false;
    };

    static Answer ask(QWidget *parent, const QString &keyFile, bool previousWasWrong);

    // Tests: the answer the next question gets (used once; calls queue up).
    static void setNextAnswer(const Answer &answer);
    static void clearAnswers();
    static int questionCount();
};

} // namespace pier::ui
