using Xunit;

namespace MlNetRnn.Tests.Notebooks;

/// <summary>
/// The kernel harness itself, on small notebooks: state carries across cells, <c>display</c> and <c>HTML</c> are the kernel's own,
/// packages come from the packed feed, and a broken notebook fails with the cell number and its text.
/// </summary>
[Collection(NotebookCollection.Name)]
[Trait("Category", "Notebooks")]
public sealed class NotebookKernelTests
{
    private static string Write(bool savedOutput, params (string Kind, string Source)[] cells)
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-{Guid.NewGuid():N}.ipynb");
        var json = new
        {
            cells = cells.Select(c => c.Kind == "code"
                ? (object)new
                {
                    cell_type = "code", execution_count = (int?)null, metadata = new { polyglot_notebook = new { kernelName = "csharp" } },
                    outputs = savedOutput ? new object[] { new { output_type = "stream", name = "stdout", text = new[] { "old" } } } : Array.Empty<object>(),
                    source = new[] { c.Source },
                }
                : new { cell_type = "markdown", metadata = new { }, source = new[] { c.Source } }),
            metadata = new
            {
                kernelspec = new { display_name = ".NET (C#)", language = "C#", name = ".net-csharp" },
                polyglot_notebook = new { kernelInfo = new { defaultKernelName = "csharp", items = new[] { new { name = "csharp", languageName = "C#", aliases = Array.Empty<string>() } } } },
            },
            nbformat = 4,
            nbformat_minor = 2,
        };
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(json));
        return path;
    }

    private static async Task<T> InTemporaryNotebook<T>(string path, Func<string, Task<T>> run)
    {
        try
        {
            return await run(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task StateCarriesAcrossCellsAndThePackedLibraryIsTheOneLoaded()
    {
        var t = await InTemporaryNotebook(Write(false,
                ("markdown", "# t"),
                ("code", "#r \"nuget: MlNetRnn.Trainers, 0.1.0\"\nvar x = 20;"),
                ("code", "display(x + 22);\ndisplay(HTML(\"<b>bold</b>\"));\ndisplay(typeof(MlNetRnn.Trainers.Forecasting.ForecasterOptions).Assembly.Location);")),
            path => NotebookKernelRunner.RunAsync(path));
        Assert.Equal(2, t.CellsRun);
        // The kernel formats a number as HTML (<div class="dni-plaintext"><pre>42</pre></div>), a string as plain text.
        Assert.Contains(t.Html, h => h.Contains("<pre>42</pre>", StringComparison.Ordinal));
        Assert.Contains(t.Html, h => h.Contains("<b>bold</b>", StringComparison.Ordinal));
        // The kernel resolved the package from the NuGet cache, not from this build's output folder.
        Assert.Contains(t.Texts, s => s.Contains("mlnetrnn.trainers", StringComparison.OrdinalIgnoreCase) && s.Contains("-notebooks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACompileErrorNamesTheCellAndShowsItsText()
    {
        var ex = await InTemporaryNotebook(Write(false, ("code", "var ok = 1;"), ("markdown", "text"), ("code", "int broken = \"text\";")),
            path => Assert.ThrowsAsync<NotebookCellException>(() => NotebookKernelRunner.RunAsync(path)));
        Assert.Contains("cell 3:", ex.Message);
        Assert.Contains("CS0029", ex.Message);
        Assert.Contains("int broken = \"text\";", ex.Message);
    }

    [Fact]
    public async Task AnExceptionNamesTheCell()
    {
        var ex = await InTemporaryNotebook(Write(false, ("code", "var ok = 1;"), ("code", "throw new InvalidOperationException(\"boom\");")),
            path => Assert.ThrowsAsync<NotebookCellException>(() => NotebookKernelRunner.RunAsync(path)));
        Assert.Contains("cell 2:", ex.Message);
        Assert.Contains("boom", ex.Message);
    }

    [Fact]
    public async Task SavedOutputsAreRefused()
    {
        var ex = await InTemporaryNotebook(Write(true, ("code", "var ok = 1;")),
            path => Assert.ThrowsAsync<NotebookCellException>(() => NotebookKernelRunner.RunAsync(path)));
        Assert.Contains("cell 1:", ex.Message);
        Assert.Contains("saved outputs", ex.Message);
    }
}
