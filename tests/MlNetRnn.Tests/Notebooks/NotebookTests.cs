using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace MlNetRnn.Tests.Notebooks;

/// <summary>
/// Each notebook in notebooks/ runs top to bottom in .NET Interactive's C# kernel against the packages packed from this build; a
/// notebook that does not run fails here with its cell number.
/// </summary>
[Collection(NotebookCollection.Name)]
[Trait("Category", "Notebooks")]
public sealed class NotebookTests
{
    private static readonly string[] s_tested = { "01-forecasting-airpassengers.ipynb", "02-text-classification.ipynb", "03-character-generation.ipynb", "04-deploying-onnx.ipynb", "05-float-sequences.ipynb", "06-sequence-tagging.ipynb" };

    [Fact]
    public async Task ForecastingAirPassengersNotebookRuns()
    {
        var t = await Run("01-forecasting-airpassengers.ipynb", "forecasting");

        Assert.Contains(t.Texts, s => s.StartsWith("80% interval for January 1960:", StringComparison.Ordinal));

        Assert.Contains(t.Html, h => h.Contains("data:image/png;base64,", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(RepositoryRoot.NotebooksFolder, "out", "forecasting", "passengers.onnx")));
        Assert.True(File.Exists(Path.Combine(RepositoryRoot.NotebooksFolder, "out", "forecasting", "passengers.zip")));
    }

    [Fact]
    public async Task TextClassificationNotebookRuns()
    {
        var t = await Run("02-text-classification.ipynb", "classification");

        Assert.Contains(t.Texts, s => s.StartsWith("recurrent classifier: accuracy", StringComparison.Ordinal));
        Assert.Contains(t.Texts, s => s.StartsWith("word vectors: glove.6B.100d.top50k.txt.gz (100-d)", StringComparison.Ordinal));
        Assert.Contains(t.Html, h => h.Contains("data:image/png;base64,", StringComparison.Ordinal));
        Assert.Contains(t.Html, h => h.Contains("bag of words (ML.NET)", StringComparison.Ordinal));
        Assert.Contains(t.Texts, s => s == "reloaded model gives the same probabilities: True");
        Assert.Contains(t.Texts, s => s == "batched predictions equal row-by-row ones: True");
        Assert.True(File.Exists(Path.Combine(RepositoryRoot.NotebooksFolder, "out", "classification", "reviews.onnx")));
    }

    [Fact]
    public async Task CharacterGenerationNotebookRuns()
    {
        var t = await Run("03-character-generation.ipynb", "generation");

        Assert.Contains(t.Html, h => h.Contains("data:image/png;base64,", StringComparison.Ordinal));
        Assert.Contains(t.Texts, s => s == "same seed, same text: True");
        Assert.Contains(t.Texts, s => s == "identical to the trained model's output: True");
        Assert.Contains(t.Texts, s => s.Contains("never saw", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(RepositoryRoot.NotebooksFolder, "out", "generation", "shakespeare.onnx")));
    }

    [Fact]
    public async Task DeployingOnnxNotebookRuns()
    {
        var t = await Run("04-deploying-onnx.ipynb", "deploy");

        Assert.Contains(t.Texts, s => s.StartsWith("identical to the library's Forecast(): True", StringComparison.Ordinal));
        Assert.Contains(t.Texts, s => s.StartsWith("A session created with Auto runs on: cpu", StringComparison.Ordinal));
        Assert.Contains(t.Texts, s => s.EndsWith("same numbers as the single calls: True", StringComparison.Ordinal));
        Assert.Contains(t.Texts, s => s.Contains("Microsoft.ML.OnnxRuntime.Gpu", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FloatSequencesNotebookRuns()
    {
        var t = await Run("05-float-sequences.ipynb", "sequences");

        Assert.Contains(t.Texts, s => s.StartsWith("recurrent classifier: accuracy", StringComparison.Ordinal));
        Assert.Contains(t.Html, h => h.Contains("maximum entropy on the flat pixels (ML.NET)", StringComparison.Ordinal));
        Assert.Contains(t.Texts, s => s == "batched predictions equal row-by-row ones: True");
        Assert.Contains(t.Texts, s => s == "reloaded model gives the same predictions: True");
        Assert.Contains(t.Texts, s => s.StartsWith("the .onnx alone: accuracy", StringComparison.Ordinal) && s.EndsWith("(same as ML.NET's evaluation: True)", StringComparison.Ordinal));
        Assert.Contains(t.Texts, s => s.StartsWith("regressor: RMSE", StringComparison.Ordinal));
        Assert.Contains(t.Texts, s => s.StartsWith("forecaster on the same test windows: RMSE", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(RepositoryRoot.NotebooksFolder, "out", "sequences", "digits.onnx")));
    }

    [Fact]
    public async Task SequenceTaggingNotebookRuns()
    {
        var t = await Run("06-sequence-tagging.ipynb", "tagging");

        Assert.Contains(t.Texts, s => s.StartsWith("3000 training sentences", StringComparison.Ordinal));
        Assert.Contains(t.Html, h => h.Contains("most frequent tag per word", StringComparison.Ordinal));
        Assert.Contains(t.Texts, s => s.StartsWith("The/", StringComparison.Ordinal));
        Assert.Contains(t.Texts, s => s == "reloaded tagger gives the same tags: True");
        Assert.True(File.Exists(Path.Combine(RepositoryRoot.NotebooksFolder, "out", "tagging", "tagger.onnx")));
    }

    [Fact]
    public void EveryNotebookInTheFolderHasATest()
    {
        var notebooks = Directory.GetFiles(RepositoryRoot.NotebooksFolder, "*.ipynb").Select(f => Path.GetFileName(f)!).Order().ToArray();

        Assert.Equal(s_tested.Order().ToArray(), notebooks);
    }

    [Fact]
    public void EveryPackageVersionANotebookPinsIsTheOneThisRepositoryBuildsWith()
    {
        var pinned = XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!, StringComparer.OrdinalIgnoreCase);
        string ours = XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Build.props")).Descendants("Version").First().Value;
        foreach (var notebook in s_tested)
        {
            string text = File.ReadAllText(Path.Combine(RepositoryRoot.NotebooksFolder, notebook));
            var references = Regex.Matches(text, @"#r \\""nuget: (?<id>[^,\\""]+), (?<version>[^\\""]+)\\""");
            Assert.NotEmpty(references);
            foreach (Match reference in references)
            {
                string id = reference.Groups["id"].Value, version = reference.Groups["version"].Value;
                string? expected = id.StartsWith("MlNetRnn.", StringComparison.OrdinalIgnoreCase) ? ours : pinned.GetValueOrDefault(id);
                Assert.True(expected is null || expected == version, $"{notebook} asks for {id} {version}, but this repository builds with {expected}; update the #r line.");
            }
        }
    }

    // Removes what an earlier run wrote, so the file checks see this run's output.
    private static Task<NotebookTranscript> Run(string file, string outputFolder)
    {
        Assert.Contains(file, s_tested);
        string output = Path.Combine(RepositoryRoot.NotebooksFolder, "out", outputFolder);
        if (Directory.Exists(output))
            Directory.Delete(output, recursive: true);
        return NotebookKernelRunner.RunAsync(Path.Combine(RepositoryRoot.NotebooksFolder, file));
    }
}

/// <summary>Notebooks write under notebooks/out and the README examples set the process's current folder, so they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookCollection
{
    public const string Name = "Notebooks";
}

/// <summary>Finds the repository this test assembly was built from.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string NotebooksFolder => System.IO.Path.Combine(Path, "notebooks");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "MlNetRnn.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"MlNetRnn.sln not found above {AppContext.BaseDirectory}.");
    }
}
