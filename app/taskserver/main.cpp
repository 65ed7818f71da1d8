// pier-task-server: what the sandbox runs for a Marathon task whose image is not nginx. It listens
// on every host port Marathon gave the task (PORT0, PORT1, ... on 0.0.0.0) and answers each HTTP
// request with a page naming the app, the task and the image; /health answers 200 "OK".
// Standalone and without Qt so that each task costs a few hundred KB of memory, not a Qt runtime.
// Usage: pier-task-server [IMAGE]   (app and task from MARATHON_APP_ID and MESOS_TASK_ID)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static std::string env(const char *name)
{
    const char *v = std::getenv(name);
    return v ? v : "";
}

static std::string escapeHtml(const std::string &s)
{
    std::string out;
    for (char c : s) {
        switch (c) {
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '&':
            out += "&amp;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

static int listenOn(int port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) < 0 || ::listen(fd, 64) < 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

static void answer(int client, const std::string &page)
{
    // One short request per connection; a client that sends nothing in 2 s is dropped.
    pollfd p{client, POLLIN, 0};
    std::string request;
    char buf[2048];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384 &&
           ::poll(&p, 1, 2000) > 0) {
        const ssize_t n = ::read(client, buf, sizeof buf);
        if (n <= 0)
            break;
        request.append(buf, static_cast<size_t>(n));
    }
    const size_t sp1 = request.find(' ');
    const size_t sp2 = sp1 == std::string::npos ? sp1 : request.find(' ', sp1 + 1);
    if (sp2 == std::string::npos)
        return;
    const std::string method = request.substr(0, sp1);
    const std::string path = request.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string status = "200 OK", body = page, type = "text/html; charset=utf-8";
    if (path == "/health" || path.rfind("/health?", 0) == 0) {
        body = "OK\n";
        type = "text/plain";
    }
    std::string reply = "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
                        "\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\nServer: pier-task-server\r\n\r\n";
    if (method != "HEAD")
        reply += body;
    size_t sent = 0;
    while (sent < reply.size()) {
        const ssize_t n = ::write(client, reply.data() + sent, reply.size() - sent);
        if (n <= 0)
            break;
        sent += static_cast<size_t>(n);
    }
}

int main(int argc, char **argv)
{
    std::signal(SIGPIPE, SIG_IGN);
    const std::string image = argc > 1 ? argv[1] : env("PIER_TASK_IMAGE");
    const std::string app = env("MARATHON_APP_ID"), task = env("MESOS_TASK_ID");
    std::vector<pollfd> fds;
    for (int i = 0;; ++i) {
        const std::string port = env(("PORT" + std::to_string(i)).c_str());
        if (port.empty())
            break;
        const int fd = listenOn(std::atoi(port.c_str()));
        if (fd < 0) {
            std::fprintf(stderr, "pier-task-server: cannot listen on 0.0.0.0:%s: %s\n",
                         port.c_str(), std::strerror(errno));
            return 1;
        }
        fds.push_back({fd, POLLIN, 0});
    }
    if (fds.empty()) {
        std::fprintf(stderr, "pier-task-server: no port to listen on (PORT0 is not set)\n");
        return 2;
    }
    const std::string page =
        "<!DOCTYPE html>\n<html><head><title>" + escapeHtml(app) + "</title></head><body>\n<h1>" +
        escapeHtml(app) + "</h1>\n<p>app: " + escapeHtml(app) +
        "</p>\n<p>task: " + escapeHtml(task) + "</p>\n<p>image: " + escapeHtml(image) +
        "</p>\n<p>host: " + escapeHtml(env("HOST")) + "</p>\n</body></html>\n";
    std::fprintf(stderr, "pier-task-server: %s (%s) serving %s\n", task.c_str(), image.c_str(),
                 app.c_str());
    for (;;) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        for (pollfd &p : fds) {
            if (!(p.revents & POLLIN))
                continue;
            const int client = ::accept4(p.fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0)
                continue;
            answer(client, page);
            ::close(client);
        }
    }
}
