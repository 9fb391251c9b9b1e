// DocumentReader, Cursor and Fields: typed scalar access with located errors, and "did you mean".

import Testing
@testable import PolicyModel

/// The root of the first document of `text`.
private func root(_ text: String) throws(InputError) -> Cursor {
    try DocumentReader.documents(of: text, file: "c.yaml")[0].root
}

@Suite("Cursor and Fields")
struct CursorTests {
    static let text = """
    int: 80
    quoted: '80'
    float: 1.5
    negative: -2.25
    bool: true
    tilde: ~
    null: null
    nullString: 'null'
    list: [a, b]
    map: {x: y}
    labels: {version: 2, enabled: true, empty: , name: web}

    """

    @Test("scalars by type, with Kubernetes' JSON rules: a quoted number is a string")
    func scalars() throws {
        let f = try root(Self.text).fields(allowed: [], strict: false)
        #expect(try f.required("int").int() == 80)
        #expect(try f.required("float").double() == 1.5)
        #expect(try f.required("negative").double() == -2.25)
        #expect(try f.required("int").double() == 80)
        #expect(try f.required("bool").bool() == true)
        #expect(try f.required("quoted").string() == "80")
        #expect(try f.required("nullString").string() == "null")
        guard case .int(80) = try f.required("int").intOrString() else { Issue.record("plain 80 is an int"); return }
        guard case .string("80") = try f.required("quoted").intOrString() else { Issue.record("'80' is a string"); return }

        let e = inputError { () throws(InputError) in try f.required("quoted").int() }
        #expect(e?.message == "expected an integer, found the string \"80\"")
        #expect(e?.field == "quoted")
        #expect(e?.location == PolicyModel.SourceLocation(file: "c.yaml", line: 2, column: 9))
        #expect(inputError { () throws(InputError) in try f.required("float").int() }?.message == "expected an integer, found '1.5'")
        #expect(inputError { () throws(InputError) in try f.required("int").bool() }?.message == "expected true or false, found '80'")
        #expect(inputError { () throws(InputError) in try f.required("list").string() }?.message == "expected a string, found a list")
        #expect(inputError { () throws(InputError) in try f.required("map").sequence() }?.message == "expected a list, found a mapping")
    }

    @Test("null and ~ read as absent; a null list is empty")
    func nulls() throws {
        let f = try root(Self.text).fields(allowed: [], strict: false)
        #expect(f["tilde"] == nil)
        #expect(f["null"] == nil)
        #expect(f["nullString"] != nil)
        #expect(f.entries["tilde"]?.isNull == true)
        #expect(try f.entries["tilde"]!.sequence().isEmpty)
        let e = inputError { () throws(InputError) in try f.required("null") }
        #expect(e?.message == "required field 'null' is missing")
        #expect(e?.location.line == 1 && e?.location.column == 1)
    }

    @Test("lists carry indexed paths and positions")
    func lists() throws {
        let f = try root(Self.text).fields(allowed: [], strict: false)
        let items = try f.required("list").sequence()
        #expect(items.map(\.path) == ["list[0]", "list[1]"])
        #expect(items.map { $0.location.column } == [8, 11])
        #expect(try f.required("list").stringList() == ["a", "b"])
        #expect(try f.required("map").fields(allowed: ["x"], strict: true).required("x").path == "map.x")
    }

    @Test("label maps: numbers and booleans are their text, an empty value is the empty string")
    func stringMap() throws {
        let f = try root(Self.text).fields(allowed: [], strict: false)
        #expect(try f.required("labels").stringMap() == ["version": "2", "enabled": "true", "empty": "", "name": "web"])
        let e = inputError { () throws(InputError) in try root("labels: {a: [x]}\n").fields(allowed: [], strict: false).required("labels").stringMap() }
        #expect(e?.message == "expected a string value, found a list")
        #expect(e?.field == "labels.a")
    }

    @Test("strict fields: unknown keys are errors at the key with a hint; order is kept")
    func strictFields() throws {
        let c = try root("b: 1\nselektor: x\n")
        let e = inputError { () throws(InputError) in try c.fields(allowed: ["b", "selector"], strict: true) }
        #expect(e?.message == "unknown field 'selektor' (did you mean 'selector'?)")
        #expect(e?.location.line == 2 && e?.location.column == 1)
        let lax = try c.fields(allowed: [], strict: false)
        #expect(lax.order == ["b", "selektor"])
        let far = inputError { () throws(InputError) in try root("zzzzzz: 1\n").fields(allowed: ["a"], strict: true) }
        #expect(far?.message == "unknown field 'zzzzzz'")
        let scalar = inputError { () throws(InputError) in try root("just text\n").fields(allowed: [], strict: false) }
        #expect(scalar?.message == "expected a mapping, found a scalar")
    }

    @Test("did-you-mean: Levenshtein distance, case-insensitive, within max(2, length/3)")
    func nearest() {
        #expect(editDistance("kitten", "sitting") == 3)
        #expect(editDistance("", "abc") == 3)
        #expect(editDistance("abc", "") == 3)
        #expect(editDistance("same", "same") == 0)
        #expect(editDistance("ab", "ba") == 2)
        #expect(Fields.nearest("selektor", in: ["selector", "notSelector"]) == "selector")
        #expect(Fields.nearest("PODSELECTOR", in: ["podSelector"]) == "podSelector")
        #expect(Fields.nearest("x", in: ["abc"]) == nil)
        #expect(Fields.nearest("ab", in: ["abcd"]) == "abcd")
        #expect(Fields.nearest("applyOnFwrd", in: ["applyOnForward"]) == "applyOnForward")
        #expect(Fields.nearest("applyOnFwd", in: ["applyOnForward"]) == nil, "distance 4 > max(2, 10 / 3)")
        #expect(Fields.nearest("egress", in: ["ingress", "egress"]) == "egress")
        #expect(Fields.nearest("q", in: []) == nil)
    }

    @Test("every document of a multi-document text, in order, with positions")
    func documents() throws {
        let docs = try DocumentReader.documents(of: "a: 1\n---\nb: 2\n---\n", file: "m.yaml")
        #expect(docs.count == 3)
        #expect(docs[1].root.location.line == 3)
        #expect(docs[2].root.isNull)
        #expect(try DocumentReader.documents(of: "", file: "e.yaml").isEmpty)
    }
}
