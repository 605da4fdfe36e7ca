using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;

namespace MlNetRnn.Tests.Notebooks;

/// <summary>A notebook cell that failed in the kernel, or a notebook the kernel refused.</summary>
public sealed class NotebookCellException(string message) : Exception(message);

/// <summary>What one notebook displayed in the kernel: the plain-text and HTML forms of every displayed value, in order.</summary>
/// <param name="Texts">The <c>text/plain</c> values (what <c>display("...")</c> shows).</param>
/// <param name="Html">The <c>text/html</c> values (what <c>display(HTML(...))</c> shows).</param>
/// <param name="CellsRun">Code cells the kernel ran.</param>
internal sealed record NotebookTranscript(IReadOnlyList<string> Texts, IReadOnlyList<string> Html, int CellsRun);

/// <summary>
/// Runs notebooks in .NET Interactive's real C# kernel, in its own process (<c>tests/NotebookKernel</c>), as VS Code's Polyglot
/// Notebooks does: the three libraries of this build are packed once per test run into a temporary feed under a version of their own,
/// each notebook's first code cell gets that feed as its <c>#i</c> source and its <c>#r "nuget: MlNetRnn.*"</c> lines that version, and
/// the kernel restores every package (MlNetRnn, ML.NET, TorchSharp, ONNX Runtime, ScottPlot) from NuGet itself. Nothing of this build is
/// loaded into the kernel except through the packages.
/// </summary>
internal static class NotebookKernelRunner
{
    private static readonly Lazy<(string Feed, string Version)> s_feed = new(Pack);

    /// <summary>Runs every cell of <paramref name="notebookPath"/>; throws with the cell number and the kernel's message on the first failure.</summary>
    /// <exception cref="NotebookCellException">A cell failed, had saved outputs, or the kernel could not start.</exception>
    public static async Task<NotebookTranscript> RunAsync(string notebookPath, TimeSpan? timeout = null)
    {
        var (feed, version) = s_feed.Value;
        string transcriptPath = Path.Combine(Path.GetTempPath(), $"mlnetrnn-notebook-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, output) = await RunProcessAsync("dotnet", new[] { KernelHost(), notebookPath, transcriptPath, "--feed", feed, "--version", version },
                RepositoryRoot.Path, timeout ?? TimeSpan.FromMinutes(15));
            if (!File.Exists(transcriptPath))
                throw new NotebookCellException($"{Path.GetFileName(notebookPath)}: the kernel host wrote no transcript (exit {exit}):\n{output}");
            using var transcript = JsonDocument.Parse(File.ReadAllText(transcriptPath));
            var root = transcript.RootElement;
            if (root.GetProperty("Failure") is { ValueKind: JsonValueKind.Object } failure)
                throw new NotebookCellException($"{Path.GetFileName(notebookPath)} cell {failure.GetProperty("Cell").GetInt32()}: {failure.GetProperty("Message").GetString()}");
            var texts = new List<string>();
            var html = new List<string>();
            foreach (var displayed in root.GetProperty("Displayed").EnumerateArray())
            {
                var values = displayed.GetProperty("Values");
                if (values.TryGetProperty("text/plain", out var text))
                    texts.Add(text.GetString() ?? "");
                if (values.TryGetProperty("text/html", out var markup))
                    html.Add(markup.GetString() ?? "");
            }
            return new NotebookTranscript(texts, html, root.GetProperty("CellsRun").GetInt32());
        }
        finally
        {
            File.Delete(transcriptPath);
        }
    }

    /// <summary>The kernel host built next to this test assembly's configuration (the test project references it, so it is built first).</summary>
    private static string KernelHost()
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string path = Path.Combine(RepositoryRoot.Path, "tests", "NotebookKernel", "bin", configuration, "net10.0", "MlNetRnn.NotebookKernel.dll");
        if (!File.Exists(path))
            throw new NotebookCellException($"The notebook kernel host is not built at {path}; build tests/NotebookKernel first.");
        return path;
    }

    // One pack per test run, of the libraries this test assembly was built from (--no-build), under a version no earlier run used, so the
    // kernel's restore can never pick a stale package from the NuGet cache. The feed and the cached copies go when the run ends.
    private static (string Feed, string Version) Pack()
    {
        string baseVersion = XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Build.props")).Descendants("Version").First().Value;
        string version = $"{baseVersion}-notebooks{DateTime.UtcNow:yyyyMMddHHmmss}{Environment.ProcessId}";
        string feed = Directory.CreateTempSubdirectory("mlnetrnn-notebook-feed").FullName;
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var (exit, output) = RunProcessAsync("dotnet", new[]
        {
            "pack", Path.Combine(RepositoryRoot.Path, "MlNetRnn.sln"), "-c", configuration, "--no-build", "-o", feed, $"-p:PackageVersion={version}", "--nologo",
        }, RepositoryRoot.Path, TimeSpan.FromMinutes(5)).GetAwaiter().GetResult();
        if (exit != 0 || Directory.GetFiles(feed, "MlNetRnn.Trainers.*.nupkg").Length == 0)
            throw new NotebookCellException($"Packing the libraries for the notebook kernel failed (exit {exit}):\n{output}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Clean(feed, version);
        return (feed, version);
    }

    private static void Clean(string feed, string version)
    {
        try
        {
            Directory.Delete(feed, recursive: true);
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
                ? custom
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (var id in new[] { "mlnetrnn.trainers", "mlnetrnn.onnx", "mlnetrnn.transforms" })
            {
                string copy = Path.Combine(cache, id, version.ToLowerInvariant());
                if (Directory.Exists(copy))
                    Directory.Delete(copy, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary feed or cached package does no harm.
        }
    }

    private static async Task<(int Exit, string Output)> RunProcessAsync(string file, IEnumerable<string> arguments, string directory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start) ?? throw new NotebookCellException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new NotebookCellException($"{file} {string.Join(' ', arguments)} ran longer than {timeout.TotalMinutes:F0} minutes and was stopped.");
        }
        string output = await stdout + await stderr;
        Console.Write(output);
        return (process.ExitCode, output);
    }
}
