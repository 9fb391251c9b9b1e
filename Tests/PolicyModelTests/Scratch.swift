import Testing
import Addresses
@testable import PolicyModel

@Test func scratch() throws {
    print("PLUS", IPAddress("+1::") as Any, IPAddress("::-0") as Any, IPAddress("::ffff:1.2.3.4") as Any)
    let docs: [String] = [
"""
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: p
  namespace: ns
spec:
  ingress:
  - action: Allow
    protocol: ICMP
    destination:
      ports: [80]
""",
"""
apiVersion: v1
kind: Namespace
metadata:
  name: a
---
apiVersion: v1
kind: Namespace
metadata:
  name: b
   labels: {}
""",
"""
apiVersion: v1
kind: Namespace
metadata:
  name: a
  name: b
""",
"""
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: p
spec:
  selector: app == web
""",
"""
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: p
spec:
  selector: "app == web"
""",
"""
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: p
spec:
  ingress:
  - action: Allow
    protocol: TCP
    icmp: {type: 8}
""",
"""
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: p
spec:
  ingress:
  - action: Allow
    protocol: TCP
    icmp:
      type: 8
""",
"key: [unclosed\n",
"a: b\n\tc: d\n",
    ]
    for d in docs {
        do { let r = try ResourceLoader.load(text: d, file: "f.yaml"); print("OK", r.policies.count, r.namespaces.count) }
        catch { print("ERR", error.description, "|field:", error.field, "|", error.location.line, error.location.column) }
    }
}
