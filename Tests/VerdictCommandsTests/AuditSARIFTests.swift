// `verdict audit -o sarif`: SARIF 2.1.0, checked by a structural validator of the properties the
// OASIS schema (sarif-schema-2.1.0.json) requires or constrains for what Verdict writes — required
// properties, enumerations, minimums, and no property the schema does not define on those objects
// (the schema sets additionalProperties: false on them) — and every result's ruleId declared.

import Foundation
import Testing

/// The problems of a SARIF log, as paths and messages; empty when it is valid.
enum SARIFValidator {
    static let levels: Set<String> = ["none", "note", "warning", "error"]

    static func validate(_ log: Any) -> [String] {
        var problems: [String] = []
        func fail(_ path: String, _ message: String) { problems.append("\(path): \(message)") }
        func object(_ v: Any?, _ path: String, allowed: Set<String>, required: [String] = []) -> [String: Any]? {
            guard let o = v as? [String: Any] else { fail(path, "not an object"); return nil }
            for k in o.keys where !allowed.contains(k) { fail(path, "property '\(k)' is not defined by the schema") }
            for k in required where o[k] == nil { fail(path, "required property '\(k)' is missing") }
            return o
        }
        func string(_ v: Any?, _ path: String) -> String? {
            guard let s = v as? String else { fail(path, "not a string"); return nil }
            return s
        }
        func integer(_ v: Any?, _ path: String, minimum: Int) -> Int? {
            // JSONSerialization gives NSNumbers; a JSON true/false is one of type "c" or "B".
            guard let num = v as? NSNumber, !["c", "B"].contains(String(cString: num.objCType)), let n = v as? Int else {
                fail(path, "not an integer"); return nil
            }
            if n < minimum { fail(path, "\(n) is below the minimum \(minimum)") }
            return n
        }
        func uriReference(_ v: Any?, _ path: String) {
            guard let s = string(v, path) else { return }
            if s.isEmpty || s.contains(where: { $0 == " " || $0 == "\\" || !$0.isASCII }) { fail(path, "'\(s)' is not a URI reference") }
        }
        func message(_ v: Any?, _ path: String) {
            guard let m = object(v, path, allowed: ["text", "markdown", "id", "arguments", "properties"]) else { return }
            if m["text"] == nil && m["id"] == nil { fail(path, "a message needs text or id") }
            if m["text"] != nil { _ = string(m["text"], path + ".text") }
        }
        func multiformat(_ v: Any?, _ path: String) {
            guard let m = object(v, path, allowed: ["text", "markdown", "properties"], required: ["text"]) else { return }
            _ = string(m["text"], path + ".text")
        }
        func level(_ v: Any?, _ path: String) {
            if let s = string(v, path), !levels.contains(s) { fail(path, "'\(s)' is not one of \(levels.sorted())") }
        }

        guard let root = object(log, "$", allowed: ["$schema", "version", "runs", "inlineExternalProperties", "properties"], required: ["version", "runs"]) else {
            return problems
        }
        if root["$schema"] != nil { uriReference(root["$schema"], "$.$schema") }
        if string(root["version"], "$.version") != "2.1.0" { fail("$.version", "must be \"2.1.0\"") }
        guard let runs = root["runs"] as? [Any] else { fail("$.runs", "not an array"); return problems }
        for (ri, runValue) in runs.enumerated() {
            let rp = "$.runs[\(ri)]"
            let runKeys: Set<String> = ["tool", "invocations", "conversion", "language", "versionControlProvenance", "originalUriBaseIds", "artifacts",
                                        "logicalLocations", "graphs", "results", "automationDetails", "runAggregates", "baselineGuid", "redactionTokens",
                                        "defaultEncoding", "defaultSourceLanguage", "newlineSequences", "columnKind", "externalPropertyFileReferences",
                                        "threadFlowLocations", "taxonomies", "addresses", "translations", "policies", "webRequests", "webResponses",
                                        "specialLocations", "properties"]
            guard let run = object(runValue, rp, allowed: runKeys, required: ["tool"]) else { continue }
            guard let tool = object(run["tool"], rp + ".tool", allowed: ["driver", "extensions", "properties"], required: ["driver"]),
                  let driver = object(tool["driver"], rp + ".tool.driver",
                                      allowed: ["guid", "name", "organization", "product", "productSuite", "shortDescription", "fullDescription",
                                                "fullName", "version", "semanticVersion", "dottedQuadFileVersion", "releaseDateUtc", "downloadUri",
                                                "informationUri", "globalMessageStrings", "notifications", "rules", "taxa", "locations", "language",
                                                "contents", "isComprehensive", "localizedDataSemanticVersion", "minimumRequiredLocalizedDataSemanticVersion",
                                                "associatedComponent", "translationMetadata", "supportedTaxonomies", "properties"],
                                      required: ["name"]) else { continue }
            _ = string(driver["name"], rp + ".tool.driver.name")
            var ruleIDs: [String] = []
            for (i, ruleValue) in ((driver["rules"] as? [Any]) ?? []).enumerated() {
                let p = rp + ".tool.driver.rules[\(i)]"
                guard let rule = object(ruleValue, p, allowed: ["id", "deprecatedIds", "guid", "deprecatedGuids", "name", "deprecatedNames",
                                                              "shortDescription", "fullDescription", "messageStrings", "defaultConfiguration",
                                                              "helpUri", "help", "relationships", "properties"], required: ["id"]) else { continue }
                if let id = string(rule["id"], p + ".id") {
                    if ruleIDs.contains(id) { fail(p + ".id", "duplicate rule id \(id)") }
                    ruleIDs.append(id)
                }
                if rule["shortDescription"] != nil { multiformat(rule["shortDescription"], p + ".shortDescription") }
                if rule["fullDescription"] != nil { multiformat(rule["fullDescription"], p + ".fullDescription") }
                if let c = rule["defaultConfiguration"] {
                    if let conf = object(c, p + ".defaultConfiguration", allowed: ["enabled", "level", "rank", "parameters", "properties"]), conf["level"] != nil {
                        level(conf["level"], p + ".defaultConfiguration.level")
                    }
                }
            }
            guard let results = run["results"] as? [Any] else { fail(rp + ".results", "not an array"); continue }
            for (i, resultValue) in results.enumerated() {
                let p = rp + ".results[\(i)]"
                let resultKeys: Set<String> = ["ruleId", "ruleIndex", "rule", "kind", "level", "message", "analysisTarget", "locations", "guid",
                                               "correlationGuid", "occurrenceCount", "partialFingerprints", "fingerprints", "stacks", "codeFlows",
                                               "graphs", "graphTraversals", "relatedLocations", "suppressions", "baselineState", "rank",
                                               "attachments", "hostedViewerUri", "workItemUris", "provenance", "fixes", "taxa",
                                               "webRequest", "webResponse", "properties"]
                guard let result = object(resultValue, p, allowed: resultKeys, required: ["message"]) else { continue }
                message(result["message"], p + ".message")
                let id = result["ruleId"].flatMap { string($0, p + ".ruleId") }
                if let id, !ruleIDs.contains(id) { fail(p + ".ruleId", "\(id) is not declared in tool.driver.rules") }
                if id == nil { fail(p + ".ruleId", "missing (Verdict always names the rule)") }
                if let idx = result["ruleIndex"].flatMap({ integer($0, p + ".ruleIndex", minimum: -1) }), idx >= 0 {
                    if idx >= ruleIDs.count || ruleIDs[idx] != id { fail(p + ".ruleIndex", "\(idx) does not point at rule \(id ?? "?")") }
                }
                if result["level"] != nil { level(result["level"], p + ".level") }
                for (li, locValue) in ((result["locations"] as? [Any]) ?? []).enumerated() {
                    let lp = p + ".locations[\(li)]"
                    guard let loc = object(locValue, lp, allowed: ["id", "physicalLocation", "logicalLocations", "message", "annotations",
                                                                   "relationships", "properties"]) else { continue }
                    if let phys = loc["physicalLocation"] {
                        guard let pl = object(phys, lp + ".physicalLocation", allowed: ["address", "artifactLocation", "region", "contextRegion", "properties"])
                        else { continue }
                        if pl["address"] == nil && pl["artifactLocation"] == nil { fail(lp + ".physicalLocation", "needs address or artifactLocation") }
                        if let al = pl["artifactLocation"],
                           let a = object(al, lp + ".physicalLocation.artifactLocation", allowed: ["uri", "uriBaseId", "index", "description", "properties"]) {
                            if a["uri"] != nil { uriReference(a["uri"], lp + ".physicalLocation.artifactLocation.uri") }
                        }
                        if let rg = pl["region"], let region = object(rg, lp + ".physicalLocation.region",
                                                                      allowed: ["startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength",
                                                                                "byteOffset", "byteLength", "snippet", "message", "sourceLanguage", "properties"]) {
                            for k in ["startLine", "startColumn", "endLine", "endColumn"] where region[k] != nil {
                                _ = integer(region[k], lp + ".physicalLocation.region.\(k)", minimum: 1)
                            }
                        }
                    }
                    for (gi, g) in ((loc["logicalLocations"] as? [Any]) ?? []).enumerated() {
                        _ = object(g, lp + ".logicalLocations[\(gi)]", allowed: ["name", "index", "fullyQualifiedName", "decoratedName", "parentIndex",
                                                                                  "kind", "properties"])
                    }
                }
                if let props = result["properties"], !(props is [String: Any]) { fail(p + ".properties", "not an object") }
            }
        }
        return problems
    }
}

@Suite(.serialized) struct AuditSARIFTests {
    func sarif(_ arguments: [String]) throws -> Any {
        let r = try AuditRun.verdict(["audit"] + arguments + ["-o", "sarif", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    @Test("SARIF validates for every fixture and example, with one result per finding")
    func validates() throws {
        var cases: [[String]] = AuditFindingsTests.ids.flatMap { [AuditFindingsTests.arguments($0, "bad"), AuditFindingsTests.arguments($0, "good")] }
        cases += [AuditRun.example("zero-trust-k8s") + ["--probes", "examples/zero-trust-k8s/probes.json"], AuditRun.example("zero-trust-calico"),
                  AuditRun.example("icmp-howto")]
        for args in cases {
            let log = try sarif(args)
            #expect(SARIFValidator.validate(log) == [], "\(args)")
            let json = try AuditRun.json(args)
            let results = (((log as? [String: Any])?["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]]) ?? []
            #expect(results.count == AuditRun.findings(json).count, "\(args)")
            #expect(results.map { $0["ruleId"] as? String ?? "" } == AuditRun.ids(json))
        }
    }

    @Test("levels, locations and the rule catalog")
    func content() throws {
        let log = try #require(try sarif(AuditFindingsTests.arguments("VD008", "bad")) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        #expect((log["$schema"] as? String)?.hasSuffix("sarif-schema-2.1.0.json") == true)
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "verdict")
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.compactMap { $0["id"] as? String } == AuditFindingsTests.ids)
        #expect(rules.allSatisfy { ($0["shortDescription"] as? [String: Any])?["text"] is String })
        #expect((rules[7]["defaultConfiguration"] as? [String: Any])?["level"] as? String == "note")
        let result = try #require((run["results"] as? [[String: Any]])?.first)
        #expect(result["ruleId"] as? String == "VD008" && result["level"] as? String == "note" && result["ruleIndex"] as? Int == 7)
        let physical = try #require(((result["locations"] as? [[String: Any]])?.first)?["physicalLocation"] as? [String: Any])
        #expect((physical["artifactLocation"] as? [String: Any])?["uri"] as? String == "Tests/Fixtures/audit/VD008/bad/policies.yaml")
        #expect((physical["region"] as? [String: Any])?["startLine"] as? Int == 13)
        #expect(((physical["region"] as? [String: Any])?["startColumn"] as? Int ?? 0) >= 1)
    }

    @Test("the validator rejects what the schema forbids")
    func validatorCatchesProblems() throws {
        var log = try #require(try sarif(AuditFindingsTests.arguments("VD002", "bad")) as? [String: Any])
        #expect(SARIFValidator.validate(log).isEmpty)
        var runs = try #require(log["runs"] as? [[String: Any]])
        var results = try #require(runs[0]["results"] as? [[String: Any]])
        results[0]["level"] = "fatal"
        results[0]["ruleId"] = "VD999"
        results[0]["severity"] = "error"
        runs[0]["results"] = results
        var tool = try #require(runs[0]["tool"] as? [String: Any])
        var driver = try #require(tool["driver"] as? [String: Any])
        driver["name"] = nil
        tool["driver"] = driver
        runs[0]["tool"] = tool
        log["runs"] = runs
        log["version"] = "2.0.0"
        let problems = SARIFValidator.validate(log)
        for expected in ["$.version", "driver: required property 'name'", "results[0].level", "VD999 is not declared", "'severity' is not defined"] {
            #expect(problems.contains { $0.contains(expected) }, "\(expected) not in \(problems)")
        }
    }
}
