/// Prometheus's expansion of alerting-rule labels and annotations (rules/alerting.go):
/// the convenience variables are prepended as template text (so error columns count them,
/// as Prometheus's do), the template is named after the alert, and a failure becomes the
/// label or annotation value instead of failing the rule.
public enum AlertTemplate {
    static let defs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

    static func templateName(_ alertName: String) -> String { "__alert_" + alertName }

    /// The data an alert template sees: Go's anonymous struct from `AlertTemplateData`.
    public static func data(labels: [String: String], externalLabels: [String: String], externalURL: String, value: Double) -> TemplateValue {
        .record(TemplateRecord(
            typeName: "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }",
            fields: [
                .init(name: "Labels", value: .stringMap(labels)),
                .init(name: "ExternalLabels", value: .stringMap(externalLabels)),
                .init(name: "ExternalURL", value: .string(externalURL)),
                .init(name: "Value", value: .float(value), isInterface: true),
            ]))
    }

    /// For rule-file loading (parse only): throws Go's parse error, e.g.
    /// `template: __alert_X:1: function "foo" not defined`. Prometheus reports it as
    /// `label "k": <error>` / `annotation "k": <error>`.
    public static func validate(alertName: String, text: String) throws {
        _ = try Template(name: templateName(alertName), text: defs + text)
    }

    /// Expands one label or annotation value; on error returns
    /// `<error expanding template: error parsing|executing template __alert_X: …>`.
    public static func expand(alertName: String, text: String, labels: [String: String], externalLabels: [String: String],
                              externalURL: String, value: Double, context: TemplateContext) async -> String {
        let name = templateName(alertName)
        let template: Template
        do {
            template = try Template(name: name, text: defs + text)
        } catch {
            return "<error expanding template: error parsing template \(name): \(error)>"
        }
        do {
            return try await template.execute(
                data: data(labels: labels, externalLabels: externalLabels, externalURL: externalURL, value: value),
                context: context)
        } catch {
            return "<error expanding template: error executing template \(name): \(error)>"
        }
    }
}
