using System.Text.Json;

namespace MlNetRnn.Tests.Notebooks;

/// <summary>One cell of a Jupyter/Polyglot notebook.</summary>
/// <param name="Number">1-based position among all cells, as an editor shows it.</param>
/// <param name="Kind"><c>code</c> or <c>markdown</c>.</param>
/// <param name="Language">The cell's kernel language (<c>csharp</c> for C# code cells).</param>
/// <param name="Source">The cell text.</param>
/// <param name="HasOutputs">Whether outputs were saved in the file.</param>
internal sealed record NotebookCell(int Number, string Kind, string Language, string Source, bool HasOutputs);

/// <summary>Reads the parts of an <c>.ipynb</c> file (nbformat 4) that the harness needs.</summary>
internal static class NotebookDocument
{
    public static IReadOnlyList<NotebookCell> Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        string defaultLanguage = "csharp";
        if (root.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("polyglot_notebook", out var polyglot) &&
            polyglot.TryGetProperty("kernelInfo", out var kernelInfo) && kernelInfo.TryGetProperty("defaultKernelName", out var kernel))
            defaultLanguage = kernel.GetString() ?? defaultLanguage;

        var cells = new List<NotebookCell>();
        int number = 0;
        foreach (var cell in root.GetProperty("cells").EnumerateArray())
        {
            number++;
            string kind = cell.GetProperty("cell_type").GetString() ?? "";
            string source = cell.GetProperty("source").ValueKind == JsonValueKind.Array
                ? string.Concat(cell.GetProperty("source").EnumerateArray().Select(l => l.GetString()))
                : cell.GetProperty("source").GetString() ?? "";
            string language = defaultLanguage;
            if (cell.TryGetProperty("metadata", out var cellMeta))
            {
                if (cellMeta.TryGetProperty("polyglot_notebook", out var p) && p.TryGetProperty("kernelName", out var k))
                    language = k.GetString() ?? language;
                else if (cellMeta.TryGetProperty("dotnet_interactive", out var d) && d.TryGetProperty("language", out var l))
                    language = l.GetString() ?? language;
            }
            bool hasOutputs = cell.TryGetProperty("outputs", out var outputs) && outputs.GetArrayLength() > 0;
            cells.Add(new NotebookCell(number, kind, language, source, hasOutputs));
        }
        return cells;
    }
}
