using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Training;

/// <summary>
/// The CLI killed with SIGKILL mid-training (a child process, so nothing gets to clean up) and run again with <c>--resume</c> writes
/// a model with exactly the weights of an uninterrupted run.
/// </summary>
[Collection(CollectionPressureCollection.Name)]
public sealed class KillAndResumeTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"mlnetrnn-kill-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void ForecastKilledMidTrainingResumesToTheUninterruptedWeights()
    {
        string[] args = { "forecast", "--seed", "3", "--epochs", "60", "--hidden", "8", "--members", "2" };
        // Killed in the second member's refit, third epoch or later: the first member is complete, the second's training stage too, its
        // refit partly done. The resumed ensemble must equal the uninterrupted one.
        AssertKillResumeMatches(args, file => file.StartsWith("member1.refit.0000", StringComparison.Ordinal) && EpochOf(file) >= 3);
    }

    [Fact]
    public void GenerateKilledMidTrainingResumesToTheUninterruptedWeights()
    {
        string corpus = Path.Combine(_root, "corpus.txt");
        Directory.CreateDirectory(_root);
        File.WriteAllText(corpus, string.Concat(Enumerable.Repeat("Now is the winter of our discontent made glorious summer. ", 120)));
        string[] args =
        {
            "generate", "--corpus", corpus, "--epochs", "4", "--hidden", "16", "--layers", "2", "--embedding", "8", "--sequence-length", "20",
            "--batch-size", "8", "--length", "20", "--minutes", "10", "--seed", "2", "--prime", "Now",
        };
        AssertKillResumeMatches(args, file => file.StartsWith("training.0000", StringComparison.Ordinal) && EpochOf(file) >= 2);
    }

    private void AssertKillResumeMatches(string[] args, Func<string, bool> killWhenWritten)
    {
        string plainOut = Path.Combine(_root, "plain");
        Assert.Equal(0, RunCli(args.Concat(new[] { "--output", plainOut }).ToArray(), null, null));

        string checkpoints = Path.Combine(_root, "checkpoints");
        string resumedOut = Path.Combine(_root, "resumed");
        var withCheckpoints = args.Concat(new[] { "--checkpoint", checkpoints, "--output", resumedOut }).ToArray();
        int killed = RunCli(withCheckpoints, checkpoints, killWhenWritten);
        Assert.NotEqual(0, killed);
        Assert.False(File.Exists(Path.Combine(resumedOut, "model.onnx")));

        Assert.Equal(0, RunCli(withCheckpoints.Append("--resume").ToArray(), null, null));
        Assert.Equal(WeightsDigest(plainOut), WeightsDigest(resumedOut));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(resumedOut, "summary.json")));
        Assert.True(summary.RootElement.GetProperty("resumed_epochs").GetInt32() >= 2);
    }

    private static string WeightsDigest(string folder) =>
        OnnxModelInfo.ReadFile(Path.Combine(folder, "model.onnx")).Metadata[OnnxMetadataKeys.WeightsSha256];

    // Checkpoint files are named {stage}.{epoch}...; a stage may itself hold dots (member1.refit).
    private static int EpochOf(string checkpointFile) =>
        int.Parse(checkpointFile.Split('.').First(part => part.Length > 0 && part.All(char.IsDigit)), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs the CLI in a child process; when <paramref name="killWhenWritten"/> matches a file in <paramref name="watch"/>, kills it (SIGKILL).</summary>
    private static int RunCli(string[] args, string? watch, Func<string, bool>? killWhenWritten)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mlnet-rnn.dll"));
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!process.HasExited)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(4))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"mlnet-rnn {string.Join(' ', args)} ran for more than 4 minutes.");
            }
            if (watch is not null && killWhenWritten is not null && Directory.Exists(watch) &&
                Directory.EnumerateFiles(watch).Select(Path.GetFileName).Any(f => killWhenWritten(f!)))
            {
                process.Kill(); // SIGKILL on Unix: no handler, no cleanup
                process.WaitForExit();
                return process.ExitCode == 0 ? -1 : process.ExitCode;
            }
            Thread.Sleep(20);
        }
        process.WaitForExit();
        return process.ExitCode;
    }
}
