using System.Text.Json;
using Xunit;

namespace MlNetRnn.Tests.Cli;

/// <summary>
/// The CLI's output folder changes as one unit: a failure or a kill at any step of the swap leaves (after recovery) exactly the old or
/// exactly the new set, never a mix; leftovers of earlier runs are removed; a full disk is refused up front with the fix.
/// </summary>
[Collection(CliCollection.Name)] // OutputSet.FreeSpace is process-wide; the CLI tests use it too
public sealed class CliOutputSetTests : IDisposable
{
    private static readonly string[] s_owned = { "model.onnx", "model.zip", "roc.png", "confusion.png", "summary.json" };
    private static readonly Dictionary<string, string> s_old = new()
    {
        ["model.onnx"] = "old onnx", ["model.zip"] = "old zip", ["roc.png"] = "old roc", ["summary.json"] = "old summary",
    };
    private static readonly Dictionary<string, string> s_new = new()
    {
        ["model.onnx"] = "new onnx", ["model.zip"] = "new zip", ["confusion.png"] = "new confusion", ["summary.json"] = "new summary",
    };

    // Only this class replaces the provider, and always puts it back.
    private static readonly Func<string, long?> s_realFreeSpace = OutputSet.FreeSpace;

    private readonly string _dir = Directory.CreateTempSubdirectory("mlnetrnn-outset").FullName;

    public void Dispose()
    {
        OutputSet.FreeSpace = s_realFreeSpace;
        Directory.Delete(_dir, true);
    }

    [Fact]
    public void CommitReplacesEveryOwnedFileAndLeavesOtherFilesAndNoHelpersBehind()
    {
        WriteOldSet();
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "mine");

        using (var set = OutputSet.Open(_dir, s_owned, 0))
        {
            StageNewSet(set);
            set.Commit();
        }

        Assert.Equal(s_new.Append(new("notes.txt", "mine")).OrderBy(p => p.Key), Contents());
        Assert.Empty(Directory.GetDirectories(_dir));
    }

    [Fact]
    public void AFailureBeforeAnyStepOfTheSwapLeavesTheCompleteOldSet()
    {
        var steps = RecordSteps();
        Assert.Contains("install model.zip", steps);
        foreach (var failing in steps.Where(s => s != "cleanup"))
        {
            WriteOldSet();
            using (var set = OutputSet.Open(_dir, s_owned, 0))
            {
                StageNewSet(set);
                set.StepHook = step =>
                {
                    if (step == failing)
                        throw new IOException($"injected failure before {step}");
                };

                var ex = Assert.Throws<IOException>(set.Commit);

                Assert.Contains(_dir, ex.Message);
                Assert.Contains("put back unchanged", ex.Message);
            }
            Assert.Equal(s_old.OrderBy(p => p.Key), Contents());
            Assert.Empty(Directory.GetDirectories(_dir));
        }
    }

    [Fact]
    public void AKillAtAnyStepIsRepairedByTheNextRunToExactlyTheOldOrTheNewSet()
    {
        var steps = RecordSteps();
        foreach (var killed in steps)
        {
            WriteOldSet();
            using (var set = OutputSet.Open(_dir, s_owned, 0))
            {
                StageNewSet(set);
                set.StepHook = step =>
                {
                    if (step == killed)
                        throw new OutputSet.SimulatedCrashException(step);
                };
                Assert.Throws<OutputSet.SimulatedCrashException>(set.Commit);
            }
            Assert.NotEmpty(Directory.GetDirectories(_dir)); // the journal the next run repairs from

            using (OutputSet.Open(_dir, s_owned, 0))
            {
            }

            // Killed before the commit point (the manifest's deletion): the old set; after it: the new one.
            var expected = killed == "cleanup" ? s_new : s_old;
            Assert.Equal(expected.OrderBy(p => p.Key), Contents());
            Assert.Empty(Directory.GetDirectories(_dir));
        }
    }

    [Fact]
    public void AKillDuringTheRollBackItselfIsFinishedByTheNextRun()
    {
        WriteOldSet();
        // The state a rollback killed halfway leaves: two new files back in staging, one still installed, one old file restored,
        // the other old files still in the backup, the manifest in place.
        string staging = Path.Combine(_dir, OutputSet.StagingName), backup = Path.Combine(_dir, OutputSet.BackupName);
        Directory.CreateDirectory(staging);
        Directory.CreateDirectory(backup);
        File.WriteAllText(Path.Combine(staging, OutputSet.ManifestName), string.Join('\n', s_new.Keys));
        foreach (var name in new[] { "model.onnx", "model.zip", "summary.json" })
            File.Move(Path.Combine(_dir, name), Path.Combine(backup, name));
        foreach (var (name, text) in s_new)
            File.WriteAllText(Path.Combine(name == "summary.json" ? _dir : staging, name), text);

        using (OutputSet.Open(_dir, s_owned, 0))
        {
        }

        Assert.Equal(s_old.OrderBy(p => p.Key), Contents());
        Assert.Empty(Directory.GetDirectories(_dir));
    }

    [Fact]
    public void DisposingWithoutCommitLeavesTheOldSetAndRemovesTheStagedFiles()
    {
        WriteOldSet();

        using (var set = OutputSet.Open(_dir, s_owned, 0))
            StageNewSet(set);

        Assert.Equal(s_old.OrderBy(p => p.Key), Contents());
        Assert.Empty(Directory.GetDirectories(_dir));
    }

    [Fact]
    public void StaleTemporariesAndStagingLeftoversOfEarlierRunsAreRemovedAndOtherFilesKept()
    {
        WriteOldSet();
        string[] stale = { $".model.zip.{Guid.NewGuid():N}.tmp", $".summary.json.{Guid.NewGuid():N}.tmp", $".write-check-{Guid.NewGuid():N}" };
        string[] kept = { "notes.tmp", ".hidden.tmp", $".model.zip.{Guid.NewGuid():N}.tmp.bak" };
        foreach (var name in stale.Concat(kept))
            File.WriteAllText(Path.Combine(_dir, name), "x");
        string staging = Path.Combine(_dir, OutputSet.StagingName);
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "model.onnx"), "half-written by a killed run");

        using (OutputSet.Open(_dir, s_owned, 0))
        {
        }

        Assert.Equal(s_old.Keys.Concat(kept).Order(StringComparer.Ordinal), Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.False(Directory.Exists(staging));
    }

    [Fact]
    public void TooLittleFreeSpaceFailsBeforeTrainingNamingTheFolderTheNeedAndTheFix()
    {
        string seen = "";
        OutputSet.FreeSpace = path =>
        {
            seen = path;
            return 3L << 20;
        };

        var ex = Assert.Throws<IOException>(() => OutputSet.Open(_dir, s_owned, 40L << 20));

        Assert.Equal(_dir, seen);
        Assert.Contains($"'{_dir}'", ex.Message);
        Assert.Contains("3.0 MB free", ex.Message);
        Assert.Contains("56.0 MB", ex.Message); // 40 MB of files + the 16 MB margin
        Assert.Contains("Free some space on that disk or choose another folder with --output", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));

        OutputSet.FreeSpace = _ => (40L << 20) + OutputSet.MarginBytes;
        using (OutputSet.Open(_dir, s_owned, 40L << 20))
        {
        }
    }

    [Fact]
    public void TheRealFreeSpaceOfTheFolderIsRead()
    {
        long? free = s_realFreeSpace(_dir);

        Assert.NotNull(free);
        Assert.Equal(new DriveInfo(OperatingSystem.IsWindows() ? Path.GetPathRoot(_dir)! : _dir).AvailableFreeSpace, free!.Value, (double)(64L << 20));
    }

    [Fact]
    public void ADiskFullWhileStagingNamesTheFileAndTheFixAndChangesNothing()
    {
        WriteOldSet();
        using (var set = OutputSet.Open(_dir, s_owned, 0))
        {
            set.Add("model.onnx", "new"u8.ToArray());

            var ex = Assert.Throws<IOException>(() => set.Write("model.zip", _ => throw new IOException("No space left on device : 'x'", 28)));

            Assert.Contains($"'{Path.Combine(_dir, "model.zip")}'", ex.Message);
            Assert.Contains("No space left on the disk", ex.Message);
            Assert.Contains("Free some space on that disk or choose another folder with --output", ex.Message);
        }
        Assert.Equal(s_old.OrderBy(p => p.Key), Contents());
    }

    [Fact]
    public void ARealNoSpaceErrorFromTheOperatingSystemIsRecognised()
    {
        if (!OperatingSystem.IsLinux())
            return; // /dev/full, which fails every write with ENOSPC, is Linux's
        var ex = Assert.Throws<IOException>(() => File.WriteAllBytes("/dev/full", new byte[4096]));

        Assert.True(DiskFull.Is(ex), $"{ex.HResult}: {ex.Message}");
        Assert.False(DiskFull.Is(new IOException("Access denied", 13)));
    }

    [Fact]
    public void ASecondRunIntoTheSameFolderIsRefusedWhileTheFirstHoldsIt()
    {
        using (OutputSet.Open(_dir, s_owned, 0))
        {
            var ex = Assert.Throws<IOException>(() => OutputSet.Open(_dir, s_owned, 0));

            Assert.Contains($"Another mlnet-rnn run is writing to the output folder '{_dir}'", ex.Message);
        }
        using (OutputSet.Open(_dir, s_owned, 0))
        {
        }
    }

    [Fact]
    public async Task AForecastRunIntoAFolderWithAnInterruptedEarlierRunEndsWithOnlyItsOwnCompleteSet()
    {
        // A previous classify-like run's files, one of its temporaries, a user's file, and a swap killed halfway: two old files already
        // in the backup, the new files staged with their manifest.
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(_dir, $".model.zip.{Guid.NewGuid():N}.tmp"), "stale");
        string staging = Path.Combine(_dir, OutputSet.StagingName), backup = Path.Combine(_dir, OutputSet.BackupName);
        Directory.CreateDirectory(staging);
        Directory.CreateDirectory(backup);
        File.WriteAllText(Path.Combine(backup, "model.onnx"), "old onnx");
        File.WriteAllText(Path.Combine(backup, "model.zip"), "old zip");
        File.WriteAllText(Path.Combine(_dir, "forecast.png"), "old png");
        File.WriteAllText(Path.Combine(_dir, "summary.json"), "{\"task\": \"old\"}");
        File.WriteAllText(Path.Combine(staging, "model.onnx"), "interrupted new onnx");
        File.WriteAllText(Path.Combine(staging, OutputSet.ManifestName), "model.onnx");

        int exit = await Program.Main(new[] { "forecast", "--epochs", "1", "--hidden", "4", "--no-refit", "--output", _dir });

        Assert.Equal(0, exit);
        Assert.Equal(new[] { "forecast.png", "model.onnx", "model.zip", "notes.txt", "summary.json" },
            Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetDirectories(_dir));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(_dir, "notes.txt")));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "summary.json")));
        Assert.Equal("forecasting", summary.RootElement.GetProperty("task").GetString());
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(_dir, "forecast.png"))[..4]);
        var imported = OnnxModelImporter.ImportFile(Path.Combine(_dir, "model.onnx"));
        Assert.Equal(4, imported.Architecture.HiddenSize);
        Assert.True(new FileInfo(Path.Combine(_dir, "model.zip")).Length > 1000);
        // The free-space estimate counts exactly the recurrent and head weights the file holds (the scaler's few constants aside).
        long weightBytes = MlNetRnn.Onnx.Protobuf.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(_dir, "model.onnx"))).Graph.Initializer
            .Where(t => t.Name.Contains("rnn.", StringComparison.Ordinal) || t.Name.Contains("head.", StringComparison.Ordinal)).Sum(t => (long)t.RawData.Length);
        // The default ensemble holds one network's weights per member.
        Assert.Equal(new ForecastSettings().Members * ModelSizeEstimate.WeightBytes(RecurrentCellKind.Lstm, 1, 4, 1, false, 12), weightBytes);
    }

    [Fact]
    public async Task AFullDiskStopsTheCommandBeforeTrainingAndKeepsThePreviousRun()
    {
        File.WriteAllText(Path.Combine(_dir, "summary.json"), "previous");
        OutputSet.FreeSpace = _ => 1L << 20;
        var previous = Spectre.Console.AnsiConsole.Console;
        var captured = new StringWriter();
        Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(captured) });
        var started = DateTime.UtcNow;
        try
        {
            int exit = await Program.Main(new[] { "forecast", "--output", _dir });

            Assert.Equal(1, exit);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the check must come before the 300-epoch training");
            string console = captured.ToString().Replace("\n", " ", StringComparison.Ordinal);
            Assert.Contains("Not enough free space", console);
            Assert.Contains("--output", console);
            Assert.Equal("previous", File.ReadAllText(Path.Combine(_dir, "summary.json")));
        }
        finally
        {
            Spectre.Console.AnsiConsole.Console = previous;
        }
    }

    [Fact]
    public async Task GenerateFromTheFoldersOwnModelKeepsThatModelAndReplacesTheRestOfTheSet()
    {
        string model = Path.Combine(_dir, "model.onnx");
        using (var lm = new Microsoft.ML.MLContext(1).Rnn().LanguageModel(new LanguageModelOptions
               {
                   HiddenSize = 8, NumberOfLayers = 1, EmbeddingSize = 4, SequenceLength = 10, BatchSize = 4, Epochs = 1, Seed = 1,
               }).Fit(string.Concat(Enumerable.Repeat("to be or not to be, that is the question. ", 60))))
            lm.SaveOnnx(model);
        byte[] before = File.ReadAllBytes(model);
        File.WriteAllText(Path.Combine(_dir, "loss.png"), "the training run's plot");
        File.WriteAllText(Path.Combine(_dir, "sample.txt"), "old sample");

        int exit = await Program.Main(new[] { "generate", "--model", model, "--prime", "to be", "--length", "20", "--output", _dir });

        Assert.Equal(0, exit);
        Assert.Equal(before, File.ReadAllBytes(model));
        Assert.Equal(new[] { "model.onnx", "sample.txt", "summary.json" }, Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.StartsWith("to be", File.ReadAllText(Path.Combine(_dir, "sample.txt")), StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "summary.json")));
        Assert.Contains(summary.RootElement.GetProperty("files").EnumerateArray(), f => f.GetString() == model);
    }

    private List<string> RecordSteps()
    {
        WriteOldSet();
        var steps = new List<string>();
        using (var set = OutputSet.Open(_dir, s_owned, 0))
        {
            StageNewSet(set);
            set.StepHook = steps.Add;
            set.Commit();
        }
        Assert.Equal(new[] { "backup folder", "backup model.onnx", "backup model.zip", "backup roc.png", "backup summary.json" }, steps.Take(5));
        Assert.Equal(new[] { "commit", "cleanup" }, steps.TakeLast(2));
        return steps;
    }

    private void WriteOldSet()
    {
        foreach (var entry in Directory.GetFileSystemEntries(_dir))
        {
            if (Directory.Exists(entry))
                Directory.Delete(entry, true);
            else
                File.Delete(entry);
        }
        foreach (var (name, text) in s_old)
            File.WriteAllText(Path.Combine(_dir, name), text);
    }

    private static void StageNewSet(OutputSet set)
    {
        foreach (var (name, text) in s_new)
            set.AddText(name, text);
    }

    private IEnumerable<KeyValuePair<string, string>> Contents() =>
        Directory.GetFiles(_dir).Select(f => new KeyValuePair<string, string>(Path.GetFileName(f), File.ReadAllText(f))).OrderBy(p => p.Key);
}
