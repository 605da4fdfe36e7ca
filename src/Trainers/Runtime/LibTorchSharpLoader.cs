using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;

namespace MlNetRnn.Trainers.Runtime;

/// <summary>
/// The run-time half of the libstdc++ fix (<see cref="GlibcxxVersionNeed"/>): when TorchSharp's native library cannot be loaded from
/// where .NET finds it, loads a copy with the <c>GLIBCXX_3.4.32</c> need marked weak from a per-user cache folder instead.
/// </summary>
/// <remarks>
/// <para>
/// The build-time fix patches build and publish outputs, but some hosts load TorchSharp straight from the NuGet cache: .NET
/// Interactive notebook kernels, <c>dotnet test</c> of a project without the package's build files, scripts. On Debian 12 those
/// fail with TorchSharp's <c>NotSupportedException</c> ("... doesn't contain a reference to libtorch-cpu-linux-x64"), whose trace
/// says <c>Failed to load native component LibTorchSharp</c>.
/// </para>
/// <para>
/// How: a module initializer subscribes to <see cref="AssemblyLoadContext.ResolvingUnmanagedDll"/>, which .NET raises only after its
/// own probing failed, so a host where the library loads never runs any of this. For TorchSharp's <c>LibTorchSharp</c> it finds the
/// original file, writes a patched copy once into <c>MLNETRNN_NATIVE_CACHE</c> (default: the user's local application data folder,
/// <c>MlNetRnn/native/&lt;content hash&gt;/</c>, else the temp folder), loads libtorch's own libraries from beside the already
/// loaded <c>libtorch_cpu.so</c> so the copy's dependencies resolve by name, and hands TorchSharp the copy. The NuGet cache is never
/// written. Anything unexpected returns "not resolved", and TorchSharp reports its usual error. <c>MLNETRNN_LIBSTDCXX_FIX=0</c> turns
/// it off.
/// </para>
/// </remarks>
internal static class LibTorchSharpLoader
{
    /// <summary>Environment variable naming the folder for patched copies.</summary>
    internal const string CacheVariable = "MLNETRNN_NATIVE_CACHE";

    /// <summary>Environment variable that turns the fix off when set to <c>0</c>.</summary>
    internal const string SwitchVariable = "MLNETRNN_LIBSTDCXX_FIX";

    private const string NativeName = "libLibTorchSharp.so";
    private static readonly object Gate = new();
    private static IntPtr _loaded;

    /// <summary>The patched copy this process loaded, or null.</summary>
    internal static string? LoadedCopy { get; private set; }

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The handler must be in place before any TorchSharp call, whichever of this library's types runs first.")]
    internal static void Install()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(SwitchVariable) == "0")
            return;
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += Resolve;
        // A host may load packages into a context of its own: the event is raised on the context that holds TorchSharp. (typeof does
        // not run TorchSharp's static constructor, which is what loads the native library.)
        if (AssemblyLoadContext.GetLoadContext(typeof(TorchSharp.torch).Assembly) is { } context && context != AssemblyLoadContext.Default)
            context.ResolvingUnmanagedDll += Resolve;
    }

    private static IntPtr Resolve(Assembly assembly, string name)
    {
        if (assembly.GetName().Name != "TorchSharp" || (name != "LibTorchSharp" && name != NativeName))
            return IntPtr.Zero;
        lock (Gate)
        {
            if (_loaded != IntPtr.Zero)
                return _loaded;
            try
            {
                string? torchDirectory = LoadedLibraryDirectory("libtorch_cpu.so");
                string? original = FindOriginal(assembly, torchDirectory);
                if (original is null)
                    return IntPtr.Zero;
                string? copy = PatchedCopy(original, CacheFolder());
                if (copy is null)
                    return IntPtr.Zero;
                // The copy's RUNPATH ($ORIGIN) no longer points at libtorch: load its dependencies first, so they resolve by name.
                string dependencies = torchDirectory ?? Path.GetDirectoryName(original)!;
                foreach (var dependency in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
                {
                    string path = Path.Combine(dependencies, dependency);
                    if (File.Exists(path))
                        NativeLibrary.TryLoad(path, out _);
                }
                if (!NativeLibrary.TryLoad(copy, out _loaded))
                    return IntPtr.Zero;
                LoadedCopy = copy;
                return _loaded;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or OverflowException)
            {
                return IntPtr.Zero;
            }
        }
    }

    /// <summary>
    /// Writes (once) a copy of <paramref name="original"/> with the <c>GLIBCXX_3.4.32</c> need marked weak under
    /// <paramref name="cacheFolder"/>, named by the original's content hash; null when the file does not need the fix or must not
    /// get it (other symbols bound to the version).
    /// </summary>
    internal static string? PatchedCopy(string original, string cacheFolder)
    {
        byte[] bytes = File.ReadAllBytes(original);
        GlibcxxVersionNeed need;
        using (var stream = new MemoryStream(bytes, writable: false))
            need = GlibcxxVersionNeed.Read(stream, GlibcxxVersionNeed.DefaultVersion);
        if (!need.CanBeWeakened)
            return null;
        string folder = Path.Combine(cacheFolder, Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant());
        string copy = Path.Combine(folder, NativeName);
        if (File.Exists(copy))
            return copy;
        Directory.CreateDirectory(folder);
        using (var patched = new MemoryStream())
        {
            patched.Write(bytes);
            need.MarkWeak(patched);
            // Written beside and renamed into place: another process loading the same copy never sees half a file.
            string temp = Path.Combine(folder, $".{NativeName}.{Guid.NewGuid():N}.tmp");
            try
            {
                File.WriteAllBytes(temp, patched.ToArray());
                File.Move(temp, copy, overwrite: true);
            }
            finally
            {
                if (File.Exists(temp))
                    File.Delete(temp);
            }
        }
        return copy;
    }

    /// <summary>The folder for patched copies: <c>MLNETRNN_NATIVE_CACHE</c>, else the user's local data folder, else the temp folder.</summary>
    internal static string CacheFolder()
    {
        if (Environment.GetEnvironmentVariable(CacheVariable) is { Length: > 0 } configured)
            return configured;
        string local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return Path.Combine(string.IsNullOrEmpty(local) ? Path.GetTempPath() : local, "MlNetRnn", "native");
    }

    // Where TorchSharp keeps its native library: under or beside TorchSharp.dll (an application's output, or a NuGet package:
    // lib/<tfm>/ -> runtimes/linux-x64/native), beside libtorch, or in the host's native search directories. The assembly's own
    // folders come first: they hold the copy .NET just failed to load.
    private static string? FindOriginal(Assembly torchSharp, string? torchDirectory)
    {
        var folders = new List<string>();
        if (Path.GetDirectoryName(torchSharp.Location) is { Length: > 0 } assemblyFolder)
        {
            folders.Add(Path.Combine(assemblyFolder, "runtimes", "linux-x64", "native"));
            folders.Add(assemblyFolder);
            folders.Add(Path.Combine(assemblyFolder, "..", "..", "runtimes", "linux-x64", "native"));
        }
        if (torchDirectory is not null)
            folders.Add(torchDirectory);
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
            folders.AddRange(searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return folders.Select(f => Path.Combine(f, NativeName)).FirstOrDefault(File.Exists);
    }

    // The folder of a shared library this process has already loaded (TorchSharp loads libtorch_cpu before its own library).
    private static string? LoadedLibraryDirectory(string fileName)
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash >= 0 && line.EndsWith("/" + fileName, StringComparison.Ordinal))
                return Path.GetDirectoryName(line[slash..]);
        }
        return null;
    }
}
