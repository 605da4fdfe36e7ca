using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace MlNetRnn.Cli.Shared;

/// <summary>
/// The files one CLI run writes into its output folder (model.onnx, model.zip, a plot, summary.json, ...), replaced as one unit,
/// so the folder never holds files of two different runs side by side.
/// </summary>
/// <remarks>
/// <para>
/// Use: <see cref="Open"/> before training (it checks the folder, its free space, and repairs what an interrupted earlier run left),
/// <see cref="Add(string, byte[])"/> each new file once it exists in memory, then <see cref="Commit"/>; <see cref="Dispose"/> without
/// <see cref="Commit"/> discards the new files and leaves the folder as it was.
/// </para>
/// <para>
/// How: new files are written and flushed to disk in a staging folder (<c>.mlnetrnn-staging</c>, inside the output folder, so on the
/// same file system and renames are atomic). <see cref="Commit"/> then writes the list of new files (<c>.manifest</c>) into the
/// staging folder, creates <c>.mlnetrnn-backup</c>, renames every old file of the set (each <em>owned</em> name: the names the
/// command can write, so a file an earlier run wrote and this run does not, such as <c>roc.png</c> after a multiclass run, goes too)
/// into the backup folder, renames the new files in, and deletes the manifest: that deletion is the commit point. Last, the backup
/// and staging folders are deleted. An exception before the commit point renames everything back at once.
/// </para>
/// <para>
/// Guarantee: when a run is killed at any instant (SIGKILL, power cut after the flushed steps), the output folder holds, once the
/// next run with the same folder has called <see cref="Open"/>, exactly the complete old set (killed before the commit point)
/// or exactly the complete new set (killed after it), never a mix, and no staging, backup or temporary files. Between the kill and
/// that next run the folder may show a partial set, but everything needed to repair it is in the two hidden folders:
/// backup present and manifest present means "roll back" (new files go back to staging, old files come back from backup);
/// backup present and no manifest means "committed" (delete the backup); staging alone means "never swapped" (delete it).
/// Files outside the owned names are never touched, except temporary files this library's <c>AtomicFile</c> and older versions
/// of this CLI leave behind (<c>.NAME.GUID.tmp</c>, <c>.write-check-GUID</c>), which are removed. Durability: file contents are
/// flushed before the swap; on Linux and macOS the folders are flushed too, so the order of renames survives a power cut.
/// Two runs writing to the same folder at once are refused (a lock file in the user's folder of locks under the temp folder, keyed by the folder's path;
/// another path to the same folder, through a symbolic link, is not detected).
/// </para>
/// </remarks>
internal sealed class OutputSet : IDisposable
{
    /// <summary>Hidden folder inside the output folder where the new files are written first.</summary>
    internal const string StagingName = ".mlnetrnn-staging";
    /// <summary>Hidden folder inside the output folder that holds the old files during the swap.</summary>
    internal const string BackupName = ".mlnetrnn-backup";
    /// <summary>File inside the staging folder listing the new files; present from just before the swap until its commit point.</summary>
    internal const string ManifestName = ".manifest";
    /// <summary>Free space every run needs beyond its files, for ML.NET's and ONNX Runtime's temporary files and the file system's own needs.</summary>
    internal const long MarginBytes = 16L << 20;

    // Temporaries of AtomicFile (".model.zip.<guid>.tmp") and the write probe of earlier CLI versions (".write-check-<guid>").
    private static readonly Regex s_staleTemporary = new(@"^(\..+\.[0-9a-f]{32}\.tmp|\.write-check-[0-9a-f]{32})$", RegexOptions.CultureInvariant);

    private readonly string _staging, _backup;
    private readonly HashSet<string> _owned;
    private readonly List<string> _staged = new();
    private FileStream? _lock;
    private bool _committed, _abandoned;

    /// <summary>Free bytes available to this user on the disk holding a folder, or null when unknown. Replaceable by tests.</summary>
    internal static Func<string, long?> FreeSpace { get; set; } = DefaultFreeSpace;

    /// <summary>Test hook: called with a step name ("backup NAME", "install NAME", "commit", "cleanup") before each step of <see cref="Commit"/>.</summary>
    internal Action<string>? StepHook { get; set; }

    private OutputSet(string directory, HashSet<string> owned, FileStream lockFile)
    {
        Folder = directory;
        _owned = owned;
        _lock = lockFile;
        _staging = Path.Combine(directory, StagingName);
        _backup = Path.Combine(directory, BackupName);
    }

    /// <summary>The output folder (full path).</summary>
    public string Folder { get; }

    /// <summary>
    /// Creates the output folder if needed, locks it against other runs, repairs an interrupted swap of an earlier run (see the
    /// class remarks), removes stale temporary files, checks that the folder is writable and that its disk has
    /// <paramref name="expectedBytes"/> plus <see cref="MarginBytes"/> free, and creates the staging folder.
    /// </summary>
    /// <param name="directory">The output folder (--output).</param>
    /// <param name="ownedNames">Every file name the command may write there; the set replaces all of them.</param>
    /// <param name="expectedBytes">Expected total size of the new files (an estimate; the margin is added).</param>
    /// <exception cref="IOException">The folder cannot be created or written, another run holds it, or its disk lacks the space (each names the folder and what to do).</exception>
    public static OutputSet Open(string directory, IEnumerable<string> ownedNames, long expectedBytes)
    {
        string dir = Path.GetFullPath(directory);
        var owned = new HashSet<string>(ownedNames, StringComparer.Ordinal);
        if (File.Exists(dir))
            throw new IOException($"The output folder '{dir}' is a file. Choose a folder with --output.");
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(dir, ex);
        }
        var set = new OutputSet(dir, owned, AcquireLock(dir));
        try
        {
            set.Recover();
            set.RemoveStaleTemporaries();
            set.CheckFreeSpace(expectedBytes);
            try
            {
                Directory.CreateDirectory(set._staging);
                // Creating a folder can succeed where creating files does not (quota, permissions on a bind mount): probe with a file.
                string probe = Path.Combine(set._staging, ".write-check");
                File.WriteAllBytes(probe, Array.Empty<byte>());
                File.Delete(probe);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw DiskFull.Is(ex) ? DiskFull.Error(dir, ex) : CannotWrite(dir, ex);
            }
            return set;
        }
        catch
        {
            set.Dispose();
            throw;
        }
    }

    /// <summary>Writes a new file of the set into the staging folder and flushes it to disk; the output folder is not touched yet.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not an owned name, or was added twice.</exception>
    /// <exception cref="IOException">The file cannot be written (disk full names the path and what to do).</exception>
    public void Add(string name, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(name, stream => stream.Write(bytes));
    }

    /// <summary>Writes a new UTF-8 text file of the set (see <see cref="Add(string, byte[])"/>).</summary>
    public void AddText(string name, string text) => Add(name, new UTF8Encoding(false).GetBytes(text));

    /// <summary>Writes a new file of the set through <paramref name="write"/> (see <see cref="Add(string, byte[])"/>).</summary>
    public void Write(string name, Action<Stream> write)
    {
        ObjectDisposedException.ThrowIf(_lock is null, this);
        if (_committed)
            throw new InvalidOperationException("The output set was already committed.");
        if (!_owned.Contains(name))
            throw new ArgumentException($"'{name}' is not one of the files this output set may write ({string.Join(", ", _owned)}).", nameof(name));
        if (_staged.Contains(name))
            throw new ArgumentException($"'{name}' was already added to the output set.", nameof(name));
        string path = Path.Combine(_staging, name);
        try
        {
            using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDeleteFile(path);
            if (DiskFull.Is(ex))
                throw DiskFull.Error(Path.Combine(Folder, name), ex);
            throw new IOException($"Cannot write '{Path.Combine(Folder, name)}' (staged in '{path}'): {ex.Message} The previous files in '{Folder}' are unchanged.", ex);
        }
        _staged.Add(name);
    }

    /// <summary>
    /// Replaces the owned files in the output folder with the added files as one unit (see the class remarks). On an exception
    /// the folder holds the complete old set again.
    /// </summary>
    /// <exception cref="IOException">A rename failed; the old set was restored (or, if restoring failed too, will be by the next run; the message says which).</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_lock is null, this);
        if (_committed)
            throw new InvalidOperationException("The output set was already committed.");
        try
        {
            Flush.Folder(_staging);
            string manifestTemp = Path.Combine(_staging, ManifestName + ".tmp");
            using (var stream = new FileStream(manifestTemp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(string.Join('\n', _staged)));
                stream.Flush(flushToDisk: true);
            }
            File.Move(manifestTemp, Path.Combine(_staging, ManifestName));
            Flush.Folder(_staging);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing in the output folder has changed yet.
            throw DiskFull.Is(ex) ? DiskFull.Error(_staging, ex) : new IOException($"Cannot prepare the new files in '{_staging}': {ex.Message} The previous files in '{Folder}' are unchanged.", ex);
        }

        try
        {
            Step("backup folder");
            Directory.CreateDirectory(_backup);
            Flush.Folder(Folder);
            foreach (string name in _owned.Order(StringComparer.Ordinal))
            {
                string current = Path.Combine(Folder, name);
                if (!File.Exists(current))
                    continue;
                Step($"backup {name}");
                File.Move(current, Path.Combine(_backup, name));
            }
            Flush.Folder(_backup);
            foreach (string name in _staged)
            {
                Step($"install {name}");
                File.Move(Path.Combine(_staging, name), Path.Combine(Folder, name));
            }
            Flush.Folder(Folder);
            Step("commit");
            File.Delete(Path.Combine(_staging, ManifestName));
            Flush.Folder(_staging);
        }
        catch (SimulatedCrashException)
        {
            _abandoned = true;
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try
            {
                RollBack();
            }
            catch (Exception rollbackError) when (rollbackError is IOException or UnauthorizedAccessException)
            {
                _abandoned = true;
                throw new IOException($"Replacing the files in '{Folder}' failed ({ex.Message}), and putting the previous files back failed too ({rollbackError.Message}). " +
                                      $"They are in '{_backup}'; the next mlnet-rnn run with --output '{Folder}' restores them, or move them back by hand.", ex);
            }
            if (DiskFull.Is(ex))
                throw DiskFull.Error(Folder, ex);
            throw new IOException($"Replacing the files in '{Folder}' failed: {ex.Message} The previous files were put back unchanged.", ex);
        }
        _committed = true;
        // Past the commit point the new set is in place: a failure to tidy up is repaired by the next run's Open, not reported.
        try
        {
            Step("cleanup");
            Directory.Delete(_backup, recursive: true);
            Directory.Delete(_staging, recursive: true);
        }
        catch (SimulatedCrashException)
        {
            _abandoned = true;
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Discards the new files unless <see cref="Commit"/> succeeded, and releases the folder's lock.</summary>
    public void Dispose()
    {
        if (_lock is null)
            return;
        if (!_committed && !_abandoned)
        {
            try
            {
                if (Directory.Exists(_staging))
                    Directory.Delete(_staging, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left for the next run's Open to remove.
            }
        }
        _lock.Dispose();
        _lock = null;
    }

    /// <summary>Brings the folder back to one complete set after an interrupted run (see the class remarks).</summary>
    private void Recover()
    {
        try
        {
            if (Directory.Exists(_backup))
            {
                if (File.Exists(Path.Combine(_staging, ManifestName)))
                    RollBack();
                else
                    Directory.Delete(_backup, recursive: true); // committed: the backup holds the replaced set
            }
            if (Directory.Exists(_staging))
                Directory.Delete(_staging, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"An earlier run into '{Folder}' was interrupted, and repairing it failed: {ex.Message} " +
                                  $"Look in '{_backup}' and '{_staging}' for the previous and the new files, or choose another folder with --output.", ex);
        }
    }

    /// <summary>Undoes a swap that has not reached its commit point: new files back to staging, old files back from backup.</summary>
    private void RollBack()
    {
        string manifest = Path.Combine(_staging, ManifestName);
        if (File.Exists(manifest))
        {
            foreach (string name in File.ReadAllText(manifest).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string installed = Path.Combine(Folder, name), staged = Path.Combine(_staging, name);
                // A new file that left staging is the one in the folder now (the old one was moved aside before any came in).
                if (!File.Exists(staged) && File.Exists(installed))
                    File.Move(installed, staged);
            }
        }
        if (Directory.Exists(_backup))
        {
            foreach (string old in Directory.GetFiles(_backup))
                File.Move(old, Path.Combine(Folder, Path.GetFileName(old)));
            Flush.Folder(Folder);
            // Only now, with every old file back, may the backup go: its absence tells a later recovery there is nothing to restore.
            Directory.Delete(_backup);
        }
        Directory.Delete(_staging, recursive: true);
    }

    private void RemoveStaleTemporaries()
    {
        foreach (string file in Directory.EnumerateFiles(Folder))
        {
            if (s_staleTemporary.IsMatch(Path.GetFileName(file)))
                TryDeleteFile(file);
        }
    }

    private void CheckFreeSpace(long expectedBytes)
    {
        long required = Math.Max(0, expectedBytes) + MarginBytes;
        if (FreeSpace(Folder) is { } free && free < required)
            throw new IOException(string.Create(CultureInfo.InvariantCulture,
                $"Not enough free space for the output folder '{Folder}': its disk has {Megabytes(free)} free, and this run needs about {Megabytes(required)} ({Megabytes(Math.Max(0, expectedBytes))} of model and report files plus {Megabytes(MarginBytes)} to spare). Free some space on that disk or choose another folder with --output."));
    }

    private void Step(string name) => StepHook?.Invoke(name);

    private static string Megabytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):F1} MB");

    private static long? DefaultFreeSpace(string directory)
    {
        try
        {
            // On Unix DriveInfo takes any path and asks statvfs about the file system holding it; Windows wants the drive's root.
            string name = OperatingSystem.IsWindows() ? Path.GetPathRoot(directory) ?? directory : directory;
            return new DriveInfo(name).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null; // unknown (a network share, an odd mount): the run goes ahead and a full disk is reported when it happens
        }
    }

    private static FileStream AcquireLock(string directory)
    {
        // The lock file lives in the temp folder, not in the output folder: a run that fails early leaves the output folder as it found
        // it, and the lock file is never deleted (deleting a lock file races with a run that has just opened it).
        string key = OperatingSystem.IsLinux() ? directory : directory.ToUpperInvariant();
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32];
        // One folder per user: on a shared machine another user's folder of lock files would not be writable.
        string user = string.Concat(Environment.UserName.Where(char.IsLetterOrDigit));
        string folder = Path.Combine(Path.GetTempPath(), $"mlnet-rnn-locks-{user}");
        string path = Path.Combine(folder, hash + ".lock");
        try
        {
            Directory.CreateDirectory(folder);
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (IsSharingViolation(ex))
        {
            throw new IOException($"Another mlnet-rnn run is writing to the output folder '{directory}' (it holds the lock '{path}'). " +
                                  "Wait for it to finish or choose another folder with --output.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot create the lock file '{path}' for the output folder '{directory}': {ex.Message} Make the temp folder writable (or set TMPDIR to one that is).", ex);
        }
    }

    // EWOULDBLOCK (11) from flock on Linux, EAGAIN (35) on macOS, ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION on Windows.
    private static bool IsSharingViolation(IOException ex) =>
        OperatingSystem.IsWindows() ? (ex.HResult & 0xFFFF) is 0x20 or 0x21 : ex.HResult is 11 or 35;

    private static IOException CannotWrite(string directory, Exception ex) =>
        new($"Cannot write to the output folder '{directory}': {ex.Message} Choose another folder with --output.", ex);

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Thrown by a test's <see cref="StepHook"/> to stop <see cref="Commit"/> dead, as a killed process would: no roll back, no cleanup.</summary>
    internal sealed class SimulatedCrashException : Exception
    {
        /// <summary>Creates the exception for <paramref name="step"/>.</summary>
        public SimulatedCrashException(string step) : base($"Simulated crash before '{step}'.")
        {
        }
    }

    private static class Flush
    {
        private const int ReadOnly = 0;

        /// <summary>
        /// Flushes a folder's entries (creations, renames, deletions) to disk. Best effort: .NET cannot open a folder, so on Unix this
        /// calls open/fsync/close from libc; on Windows NTFS journals metadata itself and there is nothing to call.
        /// </summary>
        public static void Folder(string path)
        {
            if (OperatingSystem.IsWindows())
                return;
            try
            {
                int fd = open(path, ReadOnly);
                if (fd < 0)
                    return;
                fsync(fd);
                close(fd);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        private static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        private static extern int close(int fd);
    }
}

/// <summary>Recognises "no space left on device" and turns it into a message that names the path and the fix.</summary>
internal static class DiskFull
{
    /// <summary>Whether <paramref name="ex"/> (or an exception inside it) reports a full disk.</summary>
    public static bool Is(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is IOException io && (OperatingSystem.IsWindows() ? (io.HResult & 0xFFFF) is 0x70 or 0x27 : io.HResult == 28))
                return true; // ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL; ENOSPC
            if (ex.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase) ||
                ex.Message.Contains("not enough space on the disk", StringComparison.OrdinalIgnoreCase))
                return true; // native libraries (libtorch, ONNX Runtime) report errno only as text
        }
        return false;
    }

    /// <summary>An IOException saying the disk holding <paramref name="path"/> is full and what to do.</summary>
    public static IOException Error(string path, Exception inner) =>
        new($"No space left on the disk while writing '{path}'. The previous files in the output folder are unchanged. " +
            "Free some space on that disk or choose another folder with --output, and run again.", inner);
}
