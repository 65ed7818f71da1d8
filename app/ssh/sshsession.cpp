#include "ssh/sshsession.h"

#include "ssh/shellquote.h"
#include "ssh/sshconnection.h"

#include <QMetaMethod>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace pier::ssh {

struct SshJob {
    enum class Kind { Connect, Command, Close };
    Kind kind = Kind::Command;
    QString host; // Connect
    int port = 0;
    QString user;
    SshOptions options;
    QString command; // Command
    int timeoutMs = 0;
    bool asRoot = false;
    std::atomic_bool cancel{false};
    QPointer<SshCommand> handle; // touched on the session's thread only
};

struct SshSessionWorker {
    enum class Question { None, HostKey, Passphrase };

    SshSession *q = nullptr;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::shared_ptr<SshJob>> queue;
    std::shared_ptr<SshJob> current;
    bool stop = false;
    Question question = Question::None;
    bool answered = false;
    bool accepted = false;
    std::optional<QString> passphrase;
    QString lastError; // why the connection is not there, for commands that find it so
    SshConnection conn;

    template<typename F> void post(F &&f)
    {
        QMetaObject::invokeMethod(q, std::forward<F>(f), Qt::QueuedConnection);
    }

    void loop();
    void connectJob(const std::shared_ptr<SshJob> &job);
    void commandJob(const std::shared_ptr<SshJob> &job);
    // Asks on the session's thread and waits for the answer (or the end of the session).
    bool ask(Question kind, const std::function<void()> &emitQuestion);
};

bool SshSessionWorker::ask(Question kind, const std::function<void()> &emitQuestion)
{
    std::unique_lock<std::mutex> lock(mutex);
    question = kind;
    answered = false;
    accepted = false;
    passphrase.reset();
    lock.unlock();
    post(emitQuestion);
    lock.lock();
    wake.wait(lock, [&] { return answered || stop || (current && current->cancel); });
    question = Question::None;
    return answered && accepted;
}

void SshSessionWorker::connectJob(const std::shared_ptr<SshJob> &job)
{
    SshHooks hooks;
    hooks.state = [this](SshState st) {
        const QString host = conn.host();
        const int port = conn.port();
        const QString user = conn.user();
        post([q = q, st, host, port, user] {
            if (st != SshState::Connecting) {
                q->m_host = host;
                q->m_port = port;
                q->m_user = user;
            }
            q->setState(st, QString());
        });
    };
    hooks.askHostKey = [this](const SshHostKey &key) {
        return ask(Question::HostKey, [q = q, key] {
            if (q->isSignalConnected(QMetaMethod::fromSignal(&SshSession::hostKeyUnknown)))
                emit q->hostKeyUnknown(key);
            else
                q->rejectHostKey();
        });
    };
    hooks.hostKeyChanged = [this](const SshHostKey &key) {
        post([q = q, key] { emit q->hostKeyChanged(key); });
    };
    hooks.askPassphrase = [this](const QString &keyFile, bool retry) -> std::optional<QString> {
        const bool ok = ask(Question::Passphrase, [q = q, keyFile, retry] {
            if (q->isSignalConnected(QMetaMethod::fromSignal(&SshSession::passphraseNeeded)))
                emit q->passphraseNeeded(keyFile, retry);
            else
                q->refusePassphrase();
        });
        std::lock_guard<std::mutex> lock(mutex);
        if (!ok)
            return std::nullopt;
        std::optional<QString> p = passphrase;
        passphrase.reset();
        return p;
    };
    hooks.keyUnlocked = [this](const QString &keyFile) {
        post([q = q, keyFile] { emit q->keyUnlocked(keyFile); });
    };
    QString error;
    const bool ok = conn.connect(job->host, job->port, job->user, job->options, hooks, &error);
    {
        std::lock_guard<std::mutex> lock(mutex);
        lastError = ok ? QString() : error;
    }
    const QString host = conn.host(), user = conn.user();
    const int port = conn.port();
    post([q = q, ok, error, host, port, user] {
        q->m_host = host;
        q->m_port = port;
        q->m_user = user;
        q->setState(ok ? SshState::Ready : SshState::Failed, error);
    });
}

void SshSessionWorker::commandJob(const std::shared_ptr<SshJob> &job)
{
    SshCommandResult result;
    QByteArray stderrHead; // enough of stderr to recognise sudo's complaints
    if (job->cancel) {
        result.status = SshCommandResult::Status::Cancelled;
        result.error = QStringLiteral("cancelled before it started");
    } else if (!conn.isConnected()) {
        std::lock_guard<std::mutex> lock(mutex);
        result.error = lastError.isEmpty() ? QStringLiteral("not connected")
                                           : QStringLiteral("not connected: ") + lastError;
    } else {
        const QString command = job->asRoot ? sudoWrap(job->command, conn.user()) : job->command;
        post([job] {
            if (job->handle)
                emit job->handle->started();
        });
        result = conn.run(command, job->timeoutMs, job->cancel,
                          [&](const QByteArray &data, bool isStderr) {
                              if (isStderr && stderrHead.size() < 4096)
                                  stderrHead += data;
                              post([job, data, isStderr] {
                                  if (!job->handle)
                                      return;
                                  if (isStderr)
                                      emit job->handle->stderrData(data);
                                  else
                                      emit job->handle->stdoutData(data);
                              });
                          });
        // Any command may call sudo itself (the command box): explain its password prompt too.
        if (result.status == SshCommandResult::Status::Exited && result.exitStatus != 0) {
            const QString sudo = sudoFailureMessage(stderrHead, conn.user(), conn.host());
            if (!sudo.isEmpty())
                result.error = sudo;
        }
        if (result.status == SshCommandResult::Status::Failed && !conn.isConnected()) {
            conn.disconnect();
            const QString why = result.error;
            {
                std::lock_guard<std::mutex> lock(mutex);
                lastError = why;
            }
            post([q = q, why] { q->setState(SshState::Closed, why); });
        }
    }
    post([job, result] {
        if (!job->handle)
            return;
        job->handle->m_finished = true;
        job->handle->m_result = result;
        emit job->handle->finished(result);
    });
}

void SshSessionWorker::loop()
{
    for (;;) {
        std::shared_ptr<SshJob> job;
        {
            std::unique_lock<std::mutex> lock(mutex);
            wake.wait(lock, [&] { return stop || !queue.empty(); });
            if (stop)
                break;
            job = queue.front();
            queue.pop_front();
            current = job;
        }
        switch (job->kind) {
        case SshJob::Kind::Connect:
            connectJob(job);
            break;
        case SshJob::Kind::Command:
            commandJob(job);
            break;
        case SshJob::Kind::Close: {
            const bool was = conn.isConnected();
            conn.disconnect();
            {
                std::lock_guard<std::mutex> lock(mutex);
                lastError = QStringLiteral("the session was closed");
            }
            if (was)
                post([q = q] { q->setState(SshState::Closed, QStringLiteral("closed")); });
            break;
        }
        }
        std::lock_guard<std::mutex> lock(mutex);
        current.reset();
    }
    conn.disconnect();
}

SshCommand::SshCommand(const QString &command, std::shared_ptr<SshJob> job, QObject *parent)
    : QObject(parent), m_command(command), m_job(std::move(job))
{
}

SshCommand::~SshCommand()
{
    m_job->cancel = true;
}

void SshCommand::cancel()
{
    m_job->cancel = true;
}

SshSession::SshSession(QObject *parent)
    : QObject(parent), m_worker(std::make_shared<SshSessionWorker>())
{
    qRegisterMetaType<SshHostKey>();
    qRegisterMetaType<SshCommandResult>();
    qRegisterMetaType<SshState>();
    m_worker->q = this;
    m_worker->thread = std::thread([w = m_worker.get()] { w->loop(); });
}

SshSession::~SshSession()
{
    {
        std::lock_guard<std::mutex> lock(m_worker->mutex);
        m_worker->stop = true;
        for (const auto &job : m_worker->queue)
            job->cancel = true;
        if (m_worker->current)
            m_worker->current->cancel = true;
    }
    m_worker->conn.abort();
    m_worker->wake.notify_all();
    m_worker->thread.join();
}

void SshSession::connectToHost(const QString &host, int port, const QString &user,
                               const SshOptions &options)
{
    auto job = std::make_shared<SshJob>();
    job->kind = SshJob::Kind::Connect;
    job->host = host;
    job->port = port;
    job->user = user;
    job->options = options;
    m_host = host;
    m_port = port;
    m_user = user;
    {
        std::lock_guard<std::mutex> lock(m_worker->mutex);
        m_worker->queue.push_back(job);
    }
    m_worker->wake.notify_all();
    setState(SshState::Connecting, QString());
}

SshCommand *SshSession::enqueue(const QString &command, int timeoutMs, bool asRoot)
{
    auto job = std::make_shared<SshJob>();
    job->command = command;
    job->timeoutMs = timeoutMs;
    job->asRoot = asRoot;
    auto *handle = new SshCommand(command, job, this);
    job->handle = handle;
    {
        std::lock_guard<std::mutex> lock(m_worker->mutex);
        m_worker->queue.push_back(job);
    }
    m_worker->wake.notify_all();
    return handle;
}

SshCommand *SshSession::run(const QString &command, int timeoutMs)
{
    return enqueue(command, timeoutMs, false);
}

SshCommand *SshSession::runAsRoot(const QString &command, int timeoutMs)
{
    return enqueue(command, timeoutMs, true);
}

void SshSession::close()
{
    bool connecting = false;
    {
        std::lock_guard<std::mutex> lock(m_worker->mutex);
        for (const auto &job : m_worker->queue)
            job->cancel = true;
        if (m_worker->current) {
            m_worker->current->cancel = true;
            connecting = m_worker->current->kind == SshJob::Kind::Connect;
        }
        auto job = std::make_shared<SshJob>();
        job->kind = SshJob::Kind::Close;
        m_worker->queue.push_back(job);
    }
    if (connecting)
        m_worker->conn.abort();
    m_worker->wake.notify_all();
}

void SshSession::acceptHostKey()
{
    std::lock_guard<std::mutex> lock(m_worker->mutex);
    if (m_worker->question != SshSessionWorker::Question::HostKey)
        return;
    m_worker->answered = true;
    m_worker->accepted = true;
    m_worker->wake.notify_all();
}

void SshSession::rejectHostKey()
{
    std::lock_guard<std::mutex> lock(m_worker->mutex);
    if (m_worker->question != SshSessionWorker::Question::HostKey)
        return;
    m_worker->answered = true;
    m_worker->accepted = false;
    m_worker->wake.notify_all();
}

void SshSession::providePassphrase(const QString &passphrase)
{
    std::lock_guard<std::mutex> lock(m_worker->mutex);
    if (m_worker->question != SshSessionWorker::Question::Passphrase)
        return;
    m_worker->answered = true;
    m_worker->accepted = true;
    m_worker->passphrase = passphrase;
    m_worker->wake.notify_all();
}

void SshSession::refusePassphrase()
{
    std::lock_guard<std::mutex> lock(m_worker->mutex);
    if (m_worker->question != SshSessionWorker::Question::Passphrase)
        return;
    m_worker->answered = true;
    m_worker->accepted = false;
    m_worker->wake.notify_all();
}

void SshSession::setState(SshState state, const QString &reason)
{
    if (state == m_state && reason == m_reason)
        return;
    m_state = state;
    m_reason = reason;
    emit stateChanged(state, reason);
}

} // namespace pier::ssh
