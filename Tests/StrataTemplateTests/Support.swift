import StrataTemplate

/// One input → output (or error) case, as Prometheus's template_test.go writes them.
struct ExpansionCase: Sendable, CustomStringConvertible {
    var text: String
    var output: String = ""
    var input: TemplateValue = .null
    var missingKey: MissingKey = .zero
    var queryResult: [TemplateSample] = []
    var errorMsg: String?

    var description: String { text }
}

/// Prometheus's `Expander.Expand` around our Template: same name ("test"), same fixed
/// timestamp and external URL as the Go test, same "error parsing/executing template"
/// wrapping of errors.
func expandLikePrometheus(_ c: ExpansionCase) async -> (output: String?, error: String?) {
    let queryResult = c.queryResult
    let context = TemplateContext(
        query: { _ in queryResult },
        externalURL: "http://testhost:9090/path/prefix",
        pathPrefix: "/path/prefix",
        timestamp: 1_353_755_652)
    let template: Template
    do {
        template = try Template(name: "test", text: c.text, missingKey: c.missingKey)
    } catch {
        return (nil, "error parsing template test: \(error)")
    }
    do {
        return (try await template.execute(data: c.input, context: context), nil)
    } catch {
        return (nil, "error executing template test: \(error)")
    }
}

/// Executes `text` with Go's default options (missingkey=invalid, as plain text/template).
func run(_ text: String, _ data: TemplateValue = .null, missingKey: MissingKey = .invalid,
         context: TemplateContext = TemplateContext()) async throws -> String {
    let t = try Template(name: "t", text: text, missingKey: missingKey)
    return try await t.execute(data: data, context: context)
}

/// The error text of parsing or executing `text`, or nil when it succeeds.
func failure(_ text: String, _ data: TemplateValue = .null, missingKey: MissingKey = .invalid,
             context: TemplateContext = TemplateContext()) async -> String? {
    do {
        _ = try await run(text, data, missingKey: missingKey, context: context)
        return nil
    } catch {
        return "\(error)"
    }
}

func sample(_ labels: [String: String], _ value: Double) -> TemplateSample {
    TemplateSample(labels: labels, value: value)
}
