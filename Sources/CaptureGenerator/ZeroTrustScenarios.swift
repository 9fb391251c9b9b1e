// The zero-trust tutorial's application (examples/zero-trust-k8s and examples/zero-trust-calico):
// the traffic the tutorial's curl tests and the cluster's DNS produce, seen after Service DNAT
// (pod addresses, as Calico's policy sees them). Addresses are the synthetic ones Verdict gives
// the Deployments (100.64.0.1 coredns, .2 frontend, .3 backend, .4 database, in inventory order)
// and prometheus-agent's podIP.

import Packets

enum ZeroTrust {
    static let coredns = Host("100.64.0.1", "kube-system/coredns")
    static let frontend = Host("100.64.0.2", "dev-app/frontend")
    static let backend = Host("100.64.0.3", "dev-app/backend")
    static let database = Host("100.64.0.4", "dev-app/database")
    static let prometheus = Host("10.244.2.17", "monitoring/prometheus-agent")
    static let internet = Host("203.0.113.5", nil)
    static let publicDNS = Host("8.8.8.8", nil)

    static func lookup(_ name: String, id: UInt16, answer: String) -> (query: [UInt8], response: [UInt8]) {
        (Payload.dnsQuery(id: id, name: name), Payload.dnsResponse(id: id, name: name, answers: [answer]))
    }

    // MARK: Kubernetes NetworkPolicy only

    /// examples/zero-trust-k8s: the tutorial's five NetworkPolicies as written. Its default deny
    /// isolates egress too, so every pod-to-pod call the tutorial tests is denied.
    static func kubernetes() -> Capture {
        let c = Capture("zero-trust-k8s", format: .pcap(.ethernet, snaplen: 262_144), link: .ethernet(),
                        policies: ["examples/zero-trust-k8s"],
                        summary: "the zero-trust tutorial's traffic against its Kubernetes NetworkPolicies: external HTTP to frontend works, "
                            + "frontend → backend and backend → database (which the tutorial says work) are denied, DNS over UDP works")
        let frontendEgress = "frontend egress: default-deny covers Egress and only UDP 53 to kube-dns is allowed"
        let dnsAllowed = "egress: allow-dns-egress (UDP 53 to k8s-app=kube-dns in kube-system); coredns ingress: kube-system has no policy, kns profile allows"

        // The tutorial's first test: the browser reaches frontend.
        c.tcpSession(internet, 51000, frontend, 80, request: Payload.httpGet(host: "frontend.example.com"),
                     response: Payload.httpResponse("<h1>Welcome to nginx!</h1>\n"),
                     forward: allow("frontend ingress: allow-frontend-ingress, TCP 80 from ipBlock 0.0.0.0/0"),
                     reverse: deny(frontendEgress),
                     "external client → frontend:80")
        // "You should now see 'Hello from Backend!'": the lookup works, the connection does not.
        let b = lookup("backend.dev-app.svc.cluster.local", id: 0x1A01, answer: "10.96.0.20")
        c.udpExchange(frontend, 40053, coredns, 53, request: b.query, response: b.response,
                      forward: allow("frontend " + dnsAllowed),
                      reverse: deny("frontend ingress: default-deny plus allow-frontend-ingress, which admits only TCP 80"),
                      "frontend resolves backend")
        c.tcpDenied(frontend, 41000, backend, 8080,
                    policy: deny(frontendEgress + " (backend's ingress half, allow-frontend-to-backend, would allow)"),
                    "frontend → backend:8080, which the tutorial believes works")
        // "You should see 'Database is secure!'": same mistake one hop further.
        let d = lookup("database.dev-app.svc.cluster.local", id: 0x1A02, answer: "10.96.0.30")
        c.udpExchange(backend, 40153, coredns, 53, request: d.query, response: d.response,
                      forward: allow("backend " + dnsAllowed),
                      reverse: deny("backend ingress: allow-frontend-to-backend admits only TCP 8080 from frontend"),
                      "backend resolves database")
        c.tcpDenied(backend, 41100, database, 3306,
                    policy: deny("backend egress: default-deny, only UDP 53 to kube-dns (database's ingress half would allow)"),
                    "backend → database:3306, which the tutorial believes works")
        let w = lookup("www.example.com", id: 0x1A03, answer: "93.184.215.14")
        c.udpExchange(database, 40253, coredns, 53, request: w.query, response: w.response,
                      forward: allow("database " + dnsAllowed),
                      reverse: deny("database ingress: allow-backend-to-database admits only TCP 3306 from backend"),
                      "database resolves a name")
        c.tcpDenied(frontend, 41200, database, 3306,
                    policy: deny(frontendEgress + "; database ingress admits only backend"), "frontend → database:3306")
        // A truncated UDP answer makes resolvers retry over TCP, which is not allowed.
        c.tcpDenied(frontend, 41300, coredns, 53, policy: deny("frontend egress: allow-dns-egress names UDP 53 only"),
                    "frontend → coredns TCP 53 (DNS over TCP fallback)")
        let g = Payload.dnsQuery(id: 0x1A04, name: "www.example.com")
        c.udpDenied(frontend, 40353, publicDNS, 53, request: g,
                    policy: deny("frontend egress: DNS is allowed only to kube-dns pods in kube-system"), "frontend → 8.8.8.8 UDP 53")
        // The monitoring agent: no GlobalNetworkPolicy in this set.
        c.tcpSession(prometheus, 52000, frontend, 80, request: Payload.httpGet(host: "100.64.0.2", path: "/metrics"),
                     response: Payload.metrics,
                     forward: allow("prometheus-agent egress: monitoring has no policy; frontend ingress: ipBlock 0.0.0.0/0 also matches pod addresses"),
                     reverse: deny(frontendEgress), "prometheus-agent → frontend:80")
        c.tcpDenied(prometheus, 52100, backend, 9090,
                    policy: deny("backend ingress: only TCP 8080 from frontend (the monitoring policy is not part of this set)"),
                    "prometheus-agent → backend:9090")
        let m = lookup("backend.dev-app.svc.cluster.local", id: 0x1A05, answer: "10.96.0.20")
        c.udpExchange(prometheus, 40453, coredns, 53, request: m.query, response: m.response,
                      forward: allow("no policy in monitoring or kube-system: the kns profiles allow"),
                      reverse: allow("coredns egress and prometheus-agent ingress: no policy, kns profiles allow"),
                      "prometheus-agent resolves backend")
        c.tcpDenied(internet, 51100, backend, 8080, policy: deny("backend ingress: only TCP 8080 from frontend pods"),
                    "external client → backend:8080")
        c.tcpDenied(internet, 51200, frontend, 443, tries: 2, policy: deny("frontend ingress: only TCP 80 is open"),
                    "external client → frontend:443")
        c.ping(internet, frontend, id: 0x0E01, count: 2, forward: deny("frontend ingress: the only rule names TCP 80"),
               "external ping → frontend")
        c.tcpDenied(backend, 41400, publicDNS, 443, policy: deny("backend egress: default-deny apart from DNS"),
                    "backend → 8.8.8.8:443")
        return c
    }

    // MARK: Calico, fixed

    /// examples/zero-trust-calico: the same application with the missing egress rules added, the
    /// monitoring GlobalNetworkPolicy corrected, and DNS ingress re-opened.
    static func calico() -> Capture {
        let c = Capture("zero-trust-calico", format: .pcap(.ethernet, snaplen: 262_144), link: .ethernet(),
                        policies: ["examples/zero-trust-calico"],
                        summary: "the zero-trust application against the corrected Calico policies: frontend → backend and backend → database work, "
                            + "monitoring reaches CoreDNS on 9090 only, everything else is denied")
        let frontendEgress = "frontend egress: default-deny plus DNS and TCP 8080 to backend"
        let dnsAllowed = "egress: allow-dns-egress; coredns ingress: allow-dns-ingress UDP 53 (coredns is selected by allow-monitoring-access through has(k8s-app))"

        c.tcpSession(internet, 51000, frontend, 80, request: Payload.httpGet(host: "frontend.example.com"),
                     response: Payload.httpResponse("<h1>Welcome to nginx!</h1>\n"),
                     forward: allow("frontend ingress: allow-frontend-ingress, TCP 80 from nets 0.0.0.0/0"),
                     reverse: deny(frontendEgress), "external client → frontend:80")
        let b = lookup("backend.dev-app.svc.cluster.local", id: 0x1B01, answer: "10.96.0.20")
        c.udpExchange(frontend, 40053, coredns, 53, request: b.query, response: b.response,
                      forward: allow("frontend " + dnsAllowed),
                      reverse: deny("frontend ingress: only TCP 80 (coredns egress has no policy)"), "frontend resolves backend")
        c.tcpSession(frontend, 41000, backend, 8080, request: Payload.httpGet(host: "backend.dev-app.svc.cluster.local"),
                     response: Payload.httpResponse("Hello from Backend!\n"),
                     forward: allow("frontend egress: allow-frontend-egress-to-backend; backend ingress: allow-frontend-to-backend"),
                     reverse: deny("backend egress: only TCP 3306 to database and DNS"), "frontend → backend:8080")
        let d = lookup("database.dev-app.svc.cluster.local", id: 0x1B02, answer: "10.96.0.30")
        c.udpExchange(backend, 40153, coredns, 53, request: d.query, response: d.response,
                      forward: allow("backend " + dnsAllowed),
                      reverse: deny("backend ingress: only TCP 8080 from frontend"), "backend resolves database")
        c.tcpSession(backend, 41100, database, 3306, request: Payload.httpGet(host: "database.dev-app.svc.cluster.local:3306"),
                     response: Payload.httpResponse("Database is secure!\n"),
                     forward: allow("backend egress: allow-backend-egress-to-database; database ingress: allow-backend-to-database"),
                     reverse: deny("database egress: only DNS"), "backend → database:3306")
        let w = lookup("www.example.com", id: 0x1B03, answer: "93.184.215.14")
        c.udpExchange(database, 40253, coredns, 53, request: w.query, response: w.response,
                      forward: allow("database " + dnsAllowed),
                      reverse: deny("database ingress: only TCP 3306 from backend"), "database resolves a name")
        c.tcpDenied(frontend, 41200, database, 3306,
                    policy: deny("frontend egress: only backend:8080 and DNS; database ingress admits only backend"),
                    "frontend → database:3306")
        c.tcpDenied(database, 41300, backend, 8080, policy: deny("database egress: only DNS"), "database → backend:8080")
        c.tcpDenied(backend, 41400, frontend, 80, policy: deny("backend egress: only database:3306 and DNS"), "backend → frontend:80")
        c.tcpDenied(frontend, 41500, coredns, 53, policy: deny("frontend egress: allow-dns-egress names UDP only"),
                    "frontend → coredns TCP 53 (DNS over TCP fallback)")
        // The corrected monitoring policy selects CoreDNS (k8s-app label), not the application.
        c.tcpSession(prometheus, 52000, coredns, 9090, request: Payload.scrape, response: Payload.metrics,
                     forward: allow("coredns ingress: allow-monitoring-access (order 100) admits TCP 9090 from prometheus-agent in monitoring; prometheus-agent egress has no policy"),
                     reverse: allow("coredns egress and prometheus-agent ingress: no policy, profiles allow"),
                     "prometheus-agent scrapes coredns:9090")
        c.tcpDenied(prometheus, 52100, backend, 9090,
                    policy: deny("has(k8s-app) does not select backend; its ingress stays default-deny apart from TCP 8080 from frontend"),
                    "prometheus-agent → backend:9090")
        c.tcpDenied(prometheus, 52200, coredns, 8080,
                    policy: deny("coredns ingress: now default-deny apart from DNS and the monitoring port"),
                    "prometheus-agent → coredns:8080")
        let m = lookup("backend.dev-app.svc.cluster.local", id: 0x1B04, answer: "10.96.0.20")
        c.udpExchange(prometheus, 40453, coredns, 53, request: m.query, response: m.response,
                      forward: allow("coredns ingress: allow-dns-ingress UDP 53; prometheus-agent egress has no policy"),
                      reverse: allow("coredns egress and prometheus-agent ingress: no policy"), "prometheus-agent resolves backend")
        c.tcpDenied(internet, 51100, backend, 8080, policy: deny("backend ingress: only TCP 8080 from frontend"),
                    "external client → backend:8080")
        c.tcpDenied(backend, 41600, publicDNS, 443, policy: deny("backend egress: default-deny"), "backend → 8.8.8.8:443")
        c.ping(frontend, backend, id: 0x0E02, count: 2,
               forward: deny("frontend egress and backend ingress allow only TCP 8080"), "frontend pings backend")
        return c
    }
}
