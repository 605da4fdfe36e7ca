using Xunit;

namespace MlNetRnn.Tests.Notebooks;

/// <summary>The harness itself: state carries across cells, and a broken notebook fails with the cell number and text.</summary>
[Collection(NotebookCollection.Name)]
[Trait("Category", "Notebooks")]
public sealed class NotebookRunnerTests
{
    private static string Write(params (string Kind, string Source)[] cells)
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-{Guid.NewGuid():N}.ipynb");
        var json = new
        {
            cells = cells.Select(c => c.Kind == "code"
                ? (object)new { cell_type = "code", execution_count = (int?)null, metadata = new { polyglot_notebook = new { kernelName = "csharp" } }, outputs = Array.Empty<object>(), source = new[] { c.Source } }
                : new { cell_type = "markdown", metadata = new { }, source = new[] { c.Source } }),
            metadata = new { },
            nbformat = 4,
            nbformat_minor = 2,
        };
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(json));
        return path;
    }

    private static Task<NotebookGlobals> Run(string path) => NotebookRunner.RunAsync(path, RepositoryRoot.Path, Path.GetTempPath());

    [Fact]
    public async Task VariablesCarryAcrossCellsAndDisplayIsRecorded()
    {
        string path = Write(("markdown", "# t"), ("code", "#r \"nuget: Microsoft.ML, 5.0.1\"\nvar x = 20;"), ("code", "display(x + 22);"));
        try
        {
            var globals = await Run(path);
            Assert.Equal(42, Assert.Single(globals.Displayed));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task CompileErrorNamesTheCellAndShowsItsText()
    {
        string path = Write(("code", "var ok = 1;"), ("markdown", "text"), ("code", "int broken = \"text\";"));
        try
        {
            var ex = await Assert.ThrowsAsync<NotebookCellException>(() => Run(path));
            Assert.Contains("cell 3 does not compile", ex.Message);
            Assert.Contains("int broken = \"text\";", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ExceptionNamesTheCell()
    {
        string path = Write(("code", "throw new InvalidOperationException(\"boom\");"));
        try
        {
            var ex = await Assert.ThrowsAsync<NotebookCellException>(() => Run(path));
            Assert.Contains("cell 1 threw", ex.Message);
            Assert.Contains("boom", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task PackageVersionThatDiffersFromTheBuildIsRejected()
    {
        string path = Write(("code", "#r \"nuget: Microsoft.ML, 4.0.0\""));
        try
        {
            var ex = await Assert.ThrowsAsync<NotebookCellException>(() => Run(path));
            Assert.Contains("5.0.1", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
