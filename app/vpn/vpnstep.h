#pragma once

#include "core/plan.h"
#include "vpn/ovpnconfig.h"
#include "vpn/reachability.h"
#include "vpn/vpnsession.h"

#include <QPointer>

namespace pier::vpn {

// "Connect to the private network", the first step of a journey:
//  check  - do Marathon and Mesos answer already (a bastion, a SOCKS proxy, being inside the
//           network, a VPN already up)? Then it passes, saying why.
//  apply  - connect the VPN of the profile's .ovpn and follow it to CONNECTED
//  verify - the reachability proof: real connections and HTTP GETs to Marathon and Mesos
//  undo   - stop the VPN, only when Pier started it
// Outputs: vpn.reachableWithoutVpn, vpn.startedByPier, vpn.management, vpn.method.
class VpnStep : public Step {
    Q_OBJECT
public:
    struct Options {
        QString configPath; // the .ovpn; empty: nothing to connect with
        ReachabilityCheck::Options reach;
        VpnSession::Options session; // configPath is filled in from above
    };
    explicit VpnStep(const Options &options, QObject *parent = nullptr);

    void setCredentialsProvider(CredentialsProvider p) { m_credentials = std::move(p); }

    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;

    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;
    void cancel() override;

    const OvpnConfig &config() const { return m_config; }
    const ReachabilityVerdict &lastVerdict() const { return m_verdict; }
    const VpnSession::Result &lastConnection() const { return m_connection; }

signals:
    void stateChanged(const pier::vpn::VpnState &state);

private:
    void prove(std::function<void(const ReachabilityVerdict &)> done);
    void finish(const StepResult &r);
    QVariantMap outputs() const;

    Options m_options;
    OvpnConfig m_config;
    CredentialsProvider m_credentials;
    QPointer<VpnSession> m_session;
    QPointer<ReachabilityCheck> m_check;
    ReachabilityVerdict m_verdict;
    VpnSession::Result m_connection;
    bool m_reachableWithoutVpn = false;
    bool m_startedByPier = false;
    StepCallback m_done;
};

} // namespace pier::vpn
