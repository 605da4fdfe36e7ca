using System.Diagnostics;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Runtime;

/// <summary>
/// The run-time libstdc++ fix: a host that loads TorchSharp's unpatched native library (as a notebook kernel does from the NuGet cache)
/// still trains, through a weak-marked copy in a per-user cache folder; the original file is never modified.
/// </summary>
public sealed class LibTorchSharpLoaderTests : IDisposable
{
    private const string Version = "GLIBCXX_3.4.32";
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"mlnetrnn-loader-{Guid.NewGuid():N}");

    public LibTorchSharpLoaderTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    // TorchSharp's file as NuGet restored it (never patched: the build patches output copies only).
    private static string? PristineLibrary()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string version = typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3);
        string path = Path.Combine(packages, "torchsharp", version, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    private static bool SystemLibstdcxxHas(string version)
    {
        foreach (var path in new[] { "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" })
        {
            if (File.Exists(path))
                return System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path)).Contains(version, StringComparison.Ordinal);
        }
        return false;
    }

    [Fact]
    public void ThePatchedCopyDiffersOnlyInTheWeakFlagAndTheOriginalIsUntouched()
    {
        if (!OperatingSystem.IsLinux())
            return; // the ELF library and its fix exist on Linux only
        string original = PristineLibrary() ?? throw new InvalidOperationException("TorchSharp's restored package is not in the NuGet packages folder.");
        byte[] before = File.ReadAllBytes(original);
        Assert.Contains(TorchSharpRuntimeTests.ReadVersionNeeds(before), n => n.Name == Version && (n.Flags & 2) == 0);

        string? copy = LibTorchSharpLoader.PatchedCopy(original, _root);

        Assert.NotNull(copy);
        Assert.StartsWith(_root, copy);
        Assert.Equal(before, File.ReadAllBytes(original));
        byte[] patched = File.ReadAllBytes(copy!);
        Assert.All(TorchSharpRuntimeTests.ReadVersionNeeds(patched).Where(n => n.Name == Version), n => Assert.True((n.Flags & 2) != 0, "need not weak"));
        Assert.Equal(before.Length, patched.Length);
        int differing = before.Zip(patched).Count(p => p.First != p.Second);
        Assert.InRange(differing, 1, 2); // one vna_flags field (a little-endian u16)
        // A second call reuses the copy; a library that is already weak needs none.
        var written = File.GetLastWriteTimeUtc(copy!);
        Assert.Equal(copy, LibTorchSharpLoader.PatchedCopy(original, _root));
        Assert.Equal(written, File.GetLastWriteTimeUtc(copy!));
        Assert.Null(LibTorchSharpLoader.PatchedCopy(copy!, Path.Combine(_root, "again")));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(copy!)!, "*.tmp"));
    }

    [Fact]
    public void AnApplicationWithTheUnpatchedLibraryTrainsThroughTheCopy()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string original = PristineLibrary() ?? throw new InvalidOperationException("TorchSharp's restored package is not in the NuGet packages folder.");
        // The CLI as an application whose output holds TorchSharp's unpatched file, as a host without the build-time fix has it: the
        // managed files are copied (the host resolves an application's folder through symbolic links), the native ones linked.
        string app = Path.Combine(_root, "app");
        string native = Path.Combine(app, "runtimes", "linux-x64", "native");
        Directory.CreateDirectory(native);
        string baseDirectory = AppContext.BaseDirectory;
        foreach (var file in Directory.GetFiles(baseDirectory).Where(f => !f.Contains(".so", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        foreach (var file in Directory.GetFiles(Path.Combine(baseDirectory, "runtimes", "linux-x64", "native")))
        {
            if (Path.GetFileName(file) != "libLibTorchSharp.so")
                File.CreateSymbolicLink(Path.Combine(native, Path.GetFileName(file)), file);
        }
        File.Copy(original, Path.Combine(native, "libLibTorchSharp.so"));
        string cache = Path.Combine(_root, "cache");

        if (!SystemLibstdcxxHas(Version))
        {
            // Without the fix this system cannot load the file: the failure users see, which makes the next run a real check.
            var (failed, failure) = RunCli(app, cache, fix: false);
            Assert.NotEqual(0, failed);
            Assert.Contains("libtorch-cpu-linux-x64", failure);
        }
        var (exit, output) = RunCli(app, cache, fix: true);
        Assert.True(exit == 0, output);
        Assert.Contains("Wrote", output);
        var copies = Directory.GetFiles(cache, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.Equal(SystemLibstdcxxHas(Version) ? 0 : 1, copies.Length);
        Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(Path.Combine(native, "libLibTorchSharp.so")));
    }

    private (int Exit, string Output) RunCli(string app, string cache, bool fix)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _root,
        };
        foreach (var arg in new[] { Path.Combine(app, "mlnet-rnn.dll"), "forecast", "--epochs", "1", "--members", "1", "--hidden", "4", "--output", Path.Combine(_root, "out") })
            start.ArgumentList.Add(arg);
        start.Environment[LibTorchSharpLoader.CacheVariable] = cache;
        start.Environment[LibTorchSharpLoader.SwitchVariable] = fix ? "1" : "0";
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(180_000), "the CLI did not finish in 3 minutes");
        return (process.ExitCode, stdout + stderr.Result);
    }
}
