namespace MlNetRnn.Tests.Notebooks;

/// <summary>HTML content, as .NET Interactive's <c>HTML(...)</c> helper returns it.</summary>
/// <param name="Html">The markup.</param>
public sealed record HtmlContent(string Html)
{
    /// <inheritdoc />
    public override string ToString() => Html;
}

/// <summary>
/// The small part of the .NET Interactive notebook API the notebooks use, provided to each script as its globals:
/// <c>display(value)</c> and <c>HTML(markup)</c>. Displayed values are kept so tests can look at them.
/// </summary>
public sealed class NotebookGlobals
{
    private readonly List<object?> _displayed = new();

    /// <summary>Everything passed to <see cref="display"/>, in order.</summary>
    public IReadOnlyList<object?> Displayed => _displayed;

    /// <summary>Shows a value below the cell (here: records it and writes a one-line summary to the console).</summary>
    public object? display(object? value)
    {
        _displayed.Add(value);
        string text = value switch
        {
            HtmlContent html => $"<html {html.Html.Length} chars>",
            null => "null",
            _ => value.ToString() ?? "",
        };
        Console.WriteLine($"[display] {(text.Length > 200 ? text[..200] + "…" : text)}");
        return value;
    }

    /// <summary>Wraps markup so <see cref="display"/> renders it as HTML.</summary>
    public HtmlContent HTML(string markup) => new(markup);
}
