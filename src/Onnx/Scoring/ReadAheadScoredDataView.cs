using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>
/// What the lazy batched views of both scorers share: the input's columns plus the scorer's, and cursors that read the scored column
/// through a second cursor running one window ahead, score the window in batches, hand the results out as the main cursor reaches
/// them, and check by row id that both passes saw the same rows. Memory stays bounded by one window however long the input is.
/// </summary>
internal abstract class ReadAheadScoredDataView : IDataView
{
    private readonly IDataView _input;
    private readonly DataViewSchema.Column[] _sources;

    /// <param name="input">The rows to score.</param>
    /// <param name="source">The input column the scorer reads (already checked by the caller).</param>
    /// <param name="added">The columns the scorer adds, in order.</param>
    protected ReadAheadScoredDataView(IDataView input, DataViewSchema.Column source, IEnumerable<(string Name, DataViewType Type)> added)
        : this(input, new[] { source }, added)
    {
    }

    /// <param name="input">The rows to score.</param>
    /// <param name="sources">The input columns the scorer reads (already checked by the caller).</param>
    /// <param name="added">The columns the scorer adds, in order.</param>
    protected ReadAheadScoredDataView(IDataView input, IReadOnlyList<DataViewSchema.Column> sources, IEnumerable<(string Name, DataViewType Type)> added)
    {
        _input = input;
        _sources = sources.ToArray();
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input.Schema);
        foreach (var (name, type) in added)
            builder.AddColumn(name, type);
        Schema = builder.ToSchema();
    }

    public DataViewSchema Schema { get; }

    // Rows are scored in input order; a shuffled cursor would break the pairing of the two input cursors.
    public bool CanShuffle => false;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        int inputCount = _input.Schema.Count;
        bool outputActive = needed.Any(c => c.Index >= inputCount);
        var inputNeeded = needed.Where(c => c.Index < inputCount).Select(c => _input.Schema[c.Index]).ToList();
        DataViewRowCursor? main = null, ahead = null;
        ScoringWindow? window = null;
        try
        {
            main = _input.GetRowCursor(inputNeeded);
            if (outputActive)
            {
                ahead = _input.GetRowCursor(_sources);
                window = CreateWindow(ahead);
            }
            return new Cursor(this, main, ahead, window);
        }
        catch
        {
            window?.Dispose();
            ahead?.Dispose();
            main?.Dispose();
            throw;
        }
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    /// <summary>The scoring state of one cursor, reading the source columns from <paramref name="ahead"/>.</summary>
    protected abstract ScoringWindow CreateWindow(DataViewRowCursor ahead);

    /// <summary>One cursor's window of rows read ahead and scored, and the getters of the added columns over it.</summary>
    protected abstract class ScoringWindow : IDisposable
    {
        /// <summary>Rows in the current window.</summary>
        public int Count { get; protected set; }

        /// <summary>The input row id of row <paramref name="row"/> of the window, as the read-ahead cursor saw it.</summary>
        public abstract DataViewRowId RowId(int row);

        /// <summary>Reads the next window (its first row is at <paramref name="firstPosition"/>) and scores it.</summary>
        public abstract void ScoreNext(long firstPosition);

        /// <summary>A getter of added column <paramref name="added"/> that reads row <paramref name="row"/>() of the window.</summary>
        public abstract ValueGetter<TValue> GetGetter<TValue>(int added, string name, Func<int> row);

        public virtual void Dispose()
        {
        }

        /// <summary>Copies <paramref name="values"/> into a (reused) vector.</summary>
        protected static void Copy<T>(ReadOnlySpan<T> values, ref VBuffer<T> destination)
        {
            var editor = VBufferEditor.Create(ref destination, values.Length);
            values.CopyTo(editor.Values);
            destination = editor.Commit();
        }

        /// <summary>A getter of a Vector&lt;Single&gt; column whose rows lie one after another in <paramref name="outputs"/>, <paramref name="width"/> each.</summary>
        protected static ValueGetter<TValue> FloatRows<TValue>(string name, float[] outputs, int width, Func<int> row)
        {
            RequireType<TValue, VBuffer<float>>(name, "a Vector<Single>");
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) => Copy<float>(outputs.AsSpan(row() * width, width), ref value);
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        /// <summary>Refuses a getter of another type than the column's.</summary>
        protected static void RequireType<TValue, TExpected>(string name, string described)
        {
            if (typeof(TValue) != typeof(TExpected))
                throw new InvalidOperationException($"Column '{name}' is {described}; ask for {typeof(TExpected).Name}, not {typeof(TValue).Name}.");
        }
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ReadAheadScoredDataView _parent;
        private readonly DataViewRowCursor _main;
        private readonly DataViewRowCursor? _ahead;
        private readonly ScoringWindow? _window;
        private readonly ValueGetter<DataViewRowId> _mainId;
        private long _windowStart;
        private bool _faulted;

        public Cursor(ReadAheadScoredDataView parent, DataViewRowCursor main, DataViewRowCursor? ahead, ScoringWindow? window)
        {
            _parent = parent;
            _main = main;
            _ahead = ahead;
            _window = window;
            _mainId = main.GetIdGetter();
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _main.Position;

        public override long Batch => _main.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column)
        {
            CheckColumn(column);
            return column.Index < _parent._input.Schema.Count ? _main.IsColumnActive(_parent._input.Schema[column.Index]) : _window is not null;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            CheckColumn(column);
            int inputCount = _parent._input.Schema.Count;
            if (column.Index < inputCount)
                return _main.GetGetter<TValue>(_parent._input.Schema[column.Index]);
            if (_window is null)
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            return _window.GetGetter<TValue>(column.Index - inputCount, column.Name, RowInWindow);
        }

        public override bool MoveNext()
        {
            if (!_main.MoveNext())
                return false;
            if (_window is null)
                return true;
            if (_faulted)
                throw new InvalidOperationException("An earlier row of this cursor could not be scored (see that exception); open a new cursor.");
            if (_main.Position >= _windowStart + _window.Count)
            {
                _windowStart = _main.Position;
                try
                {
                    _window.ScoreNext(_windowStart);
                }
                catch
                {
                    // The window is half read: its rows must not be handed out with another window's results.
                    _faulted = true;
                    throw;
                }
                if (_window.Count == 0)
                {
                    _faulted = true;
                    throw new InvalidOperationException(
                        $"The input view ended early on its second pass (at row {_windowStart}). Batched scoring needs a view that gives the same rows every time it is read.");
                }
            }
            // The two passes over the input must see the same rows; a source that changes between passes would pair rows with
            // other rows' scores.
            DataViewRowId id = default;
            _mainId(ref id);
            if (!id.Equals(_window.RowId(RowInWindow())))
                throw new InvalidOperationException(
                    $"The input view returned different rows on two passes (row {_main.Position}). Batched scoring needs a view that gives the same rows " +
                    "in the same order every time it is read; cache it first (mlContext.Data.Cache) if it does not.");
            return true;
        }

        private void CheckColumn(DataViewSchema.Column column)
        {
            if (column.Index < 0 || column.Index >= Schema.Count || Schema[column.Index].Name != column.Name)
                throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' (index {column.Index}) is not a column of this view.");
        }

        private int RowInWindow()
        {
            long index = _main.Position - _windowStart;
            if (_main.Position < 0 || index >= _window!.Count)
                throw new InvalidOperationException("The cursor is not on a row: call MoveNext first (and only while it returns true).");
            return (int)index;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _main.Dispose();
                _ahead?.Dispose();
                _window?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
