using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms;

namespace MlNetRnn.Onnx;

/// <summary>
/// A lazy view that adds an <see cref="OnnxSequenceScorer"/>'s outputs to an input view of variable-length rows. As a cursor moves, a
/// second cursor over the input reads the next window of rows ahead, the window is sorted by length and scored in batches, and the
/// results are handed out in input order; memory stays bounded by one window however long the input is.
/// </summary>
internal sealed class SequenceScoredDataView : IDataView
{
    private readonly OnnxSequenceScorer _scorer;
    private readonly IDataView _input;
    private readonly DataViewSchema.Column _source;
    private readonly SequenceOutput[] _outputs;

    public SequenceScoredDataView(OnnxSequenceScorer scorer, IDataView input, string inputColumnName, SequenceOutput[] outputs, string[] columnNames)
    {
        _scorer = scorer;
        _input = input;
        _outputs = outputs;
        _source = RequireInput(input.Schema, inputColumnName, scorer.Plan);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input.Schema);
        for (int k = 0; k < outputs.Length; k++)
        {
            var item = outputs[k].IsFloat ? NumberDataViewType.Single : NumberDataViewType.Int64;
            // Per-step outputs hold each row's valid steps only, so their length varies by row.
            builder.AddColumn(columnNames[k], outputs[k].PerStep ? new VectorDataViewType(item) : new VectorDataViewType(item, outputs[k].Inner));
        }
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
        try
        {
            main = _input.GetRowCursor(inputNeeded);
            ahead = outputActive ? _input.GetRowCursor(new[] { _source }) : null;
            return new Cursor(this, main, ahead);
        }
        catch
        {
            main?.Dispose();
            ahead?.Dispose();
            throw;
        }
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private static DataViewSchema.Column RequireInput(DataViewSchema schema, string name, SequenceScoringPlan plan)
    {
        var column = SchemaValidation.RequireColumn(schema, name, "input");
        var vector = column.Type as VectorDataViewType;
        bool fits = plan.InputKind switch
        {
            SequenceInputKind.TokenIds => vector?.ItemType == NumberDataViewType.Int64 || vector?.ItemType == NumberDataViewType.Int32,
            SequenceInputKind.TokenStrings => vector?.ItemType is TextDataViewType,
            _ => vector?.ItemType == NumberDataViewType.Single,
        };
        if (!fits)
        {
            string wanted = plan.InputKind switch
            {
                SequenceInputKind.TokenIds => "a vector of Int64 (or Int32) token ids; map keys to ids with ConvertType first",
                SequenceInputKind.TokenStrings => "a vector of String tokens (for example from TokenizeIntoWords)",
                _ => $"a vector of Single features, {plan.InputSize} per step",
            };
            throw new ArgumentException($"The input column '{name}' is {SchemaValidation.Describe(column.Type)}; this model reads {OnnxSequenceScorer.Describe(plan.InputKind)}, so it must be {wanted}.");
        }
        if (plan.InputKind == SequenceInputKind.Features && vector!.Size % plan.InputSize != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The input column '{name}' holds {vector.Size} values per row, not a whole number of steps of {plan.InputSize} features."));
        return column;
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly SequenceScoredDataView _parent;
        private readonly DataViewRowCursor _main;
        private readonly DataViewRowCursor? _ahead;
        private readonly ValueGetter<DataViewRowId> _mainId;
        private readonly SequenceBatchWorkspace? _workspace;
        private readonly WindowStore? _window;
        private long _windowStart;
        private bool _faulted;

        public Cursor(SequenceScoredDataView parent, DataViewRowCursor main, DataViewRowCursor? ahead)
        {
            _parent = parent;
            _main = main;
            _ahead = ahead;
            _mainId = main.GetIdGetter();
            if (ahead is not null)
            {
                _workspace = parent._scorer.CreateWorkspace(parent._outputs);
                try
                {
                    _window = new WindowStore(parent, ahead, parent._scorer.BatchSize * parent._scorer.GroupingWindow);
                }
                catch
                {
                    _workspace.Dispose();
                    throw;
                }
            }
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _main.Position;

        public override long Batch => _main.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column)
        {
            CheckColumn(column);
            return column.Index < _parent._input.Schema.Count ? _main.IsColumnActive(_parent._input.Schema[column.Index]) : _ahead is not null;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            CheckColumn(column);
            int inputCount = _parent._input.Schema.Count;
            if (column.Index < inputCount)
                return _main.GetGetter<TValue>(_parent._input.Schema[column.Index]);
            if (_ahead is null)
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            int k = column.Index - inputCount;
            if (_parent._outputs[k].IsFloat)
            {
                if (typeof(TValue) != typeof(VBuffer<float>))
                    throw new InvalidOperationException($"Column '{column.Name}' is a vector of Single; ask for VBuffer<float>, not {typeof(TValue).Name}.");
                ValueGetter<VBuffer<float>> floats = (ref VBuffer<float> value) => Copy(_window!.FloatResult(k, RowInWindow()), ref value);
                return (ValueGetter<TValue>)(Delegate)floats;
            }
            if (typeof(TValue) != typeof(VBuffer<long>))
                throw new InvalidOperationException($"Column '{column.Name}' is a vector of Int64; ask for VBuffer<long>, not {typeof(TValue).Name}.");
            ValueGetter<VBuffer<long>> longs = (ref VBuffer<long> value) => Copy(_window!.Int64Result(k, RowInWindow()), ref value);
            return (ValueGetter<TValue>)(Delegate)longs;
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
                ObjectDisposedException.ThrowIf(_parent._scorer.IsDisposed, _parent._scorer);
                _windowStart = _main.Position;
                try
                {
                    _window.ScoreNext(_workspace!, _windowStart);
                }
                catch
                {
                    // The window is half read: its rows must not be handed out with another window's results.
                    _faulted = true;
                    throw;
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

        private static void Copy<T>(ReadOnlySpan<T> values, ref VBuffer<T> destination)
        {
            var editor = VBufferEditor.Create(ref destination, values.Length);
            values.CopyTo(editor.Values);
            destination = editor.Commit();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _main.Dispose();
                _ahead?.Dispose();
                _workspace?.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// One window of input rows copied out of the read-ahead cursor (the upstream may reuse its buffers), and their results. Every array
    /// only grows, so a long run of similar windows allocates nothing.
    /// </summary>
    private sealed class WindowStore
    {
        private readonly SequenceScoredDataView _parent;
        private readonly DataViewRowCursor _ahead;
        private readonly ValueGetter<DataViewRowId> _aheadId;
        private readonly int _capacity;
        private readonly OnnxSequenceScorer _scorer;
        private readonly SequenceInputKind _kind;
        private readonly ValueGetter<VBuffer<long>>? _longIds;
        private readonly ValueGetter<VBuffer<int>>? _intIds;
        private readonly ValueGetter<VBuffer<float>>? _features;
        private readonly ValueGetter<VBuffer<ReadOnlyMemory<char>>>? _tokens;
        private readonly DataViewRowId[] _rowIds;
        private readonly int[] _lengths;
        private readonly int[] _inputStart;
        private readonly long[] _sortKeys;
        private readonly int[] _order;
        private readonly int[][] _resultStart;
        private readonly int[][] _resultLength;
        private readonly float[][] _floatResults;
        private readonly long[][] _longResults;
        private VBuffer<long> _longRow;
        private VBuffer<int> _intRow;
        private VBuffer<float> _featureRow;
        private VBuffer<ReadOnlyMemory<char>> _tokenRow;
        private ReadOnlyMemory<char>[] _denseTokens = Array.Empty<ReadOnlyMemory<char>>();
        private int[] _intValues = Array.Empty<int>();
        private readonly int[] _written;
        // Inputs of the window, one row after another: ids (also the lengths of string tokens), features, or characters.
        private long[] _ids = Array.Empty<long>();
        private float[] _values = Array.Empty<float>();
        private char[] _chars = Array.Empty<char>();
        private int[] _tokenEnds = Array.Empty<int>();

        public WindowStore(SequenceScoredDataView parent, DataViewRowCursor ahead, int capacity)
        {
            _parent = parent;
            _ahead = ahead;
            _scorer = parent._scorer;
            _kind = _scorer.Plan.InputKind;
            _capacity = capacity;
            _aheadId = ahead.GetIdGetter();
            var source = parent._source;
            switch (_kind)
            {
                case SequenceInputKind.TokenIds when ((VectorDataViewType)source.Type).ItemType == NumberDataViewType.Int64:
                    _longIds = ahead.GetGetter<VBuffer<long>>(source);
                    break;
                case SequenceInputKind.TokenIds:
                    _intIds = ahead.GetGetter<VBuffer<int>>(source);
                    break;
                case SequenceInputKind.Features:
                    _features = ahead.GetGetter<VBuffer<float>>(source);
                    break;
                default:
                    _tokens = ahead.GetGetter<VBuffer<ReadOnlyMemory<char>>>(source);
                    break;
            }
            _rowIds = new DataViewRowId[capacity];
            _lengths = new int[capacity];
            _inputStart = new int[capacity + 1];
            _sortKeys = new long[capacity];
            _order = new int[capacity];
            int outputs = parent._outputs.Length;
            _resultStart = Enumerable.Range(0, outputs).Select(_ => new int[capacity]).ToArray();
            _resultLength = Enumerable.Range(0, outputs).Select(_ => new int[capacity]).ToArray();
            _floatResults = Enumerable.Range(0, outputs).Select(_ => Array.Empty<float>()).ToArray();
            _longResults = Enumerable.Range(0, outputs).Select(_ => Array.Empty<long>()).ToArray();
            _written = new int[outputs];
        }

        /// <summary>Rows in the current window.</summary>
        public int Count { get; private set; }

        public DataViewRowId RowId(int row) => _rowIds[row];

        public ReadOnlySpan<float> FloatResult(int output, int row) => _floatResults[output].AsSpan(_resultStart[output][row], _resultLength[output][row]);

        public ReadOnlySpan<long> Int64Result(int output, int row) => _longResults[output].AsSpan(_resultStart[output][row], _resultLength[output][row]);

        /// <summary>Reads the next window (its first row is at <paramref name="firstPosition"/>) and scores it.</summary>
        public void ScoreNext(SequenceBatchWorkspace workspace, long firstPosition)
        {
            Count = 0;
            _inputStart[0] = 0;
            while (Count < _capacity && _ahead.MoveNext())
            {
                _aheadId(ref _rowIds[Count]);
                _lengths[Count] = ReadRow(Count, firstPosition + Count);
                Count++;
            }
            if (Count == 0)
                throw new InvalidOperationException(
                    $"The input view ended early on its second pass (at row {firstPosition}). Batched scoring needs a view that gives the same rows every time it is read.");
            // Sort by length (the row number breaks ties, so the order is deterministic) and score in batches of similar length.
            for (int r = 0; r < Count; r++)
            {
                _sortKeys[r] = ((long)_lengths[r] << 32) | (uint)r;
                _order[r] = r;
            }
            Array.Sort(_sortKeys, _order, 0, Count);
            var outputs = _parent._outputs;
            var written = _written;
            Array.Clear(written);
            for (int start = 0; start < Count; start += _scorer.BatchSize)
            {
                int rows = Math.Min(_scorer.BatchSize, Count - start);
                var batch = _order.AsSpan(start, rows);
                workspace.Prepare(rows, Math.Max(1, _lengths[batch[^1]]));
                for (int i = 0; i < rows; i++)
                    workspace.Lengths[i] = _lengths[batch[i]];
                Fill(workspace, batch);
                workspace.Run();
                for (int k = 0; k < outputs.Length; k++)
                {
                    int stride = outputs[k].Stride(workspace.GraphSteps);
                    for (int i = 0; i < rows; i++)
                    {
                        int row = batch[i];
                        int valid = outputs[k].PerStep ? _scorer.Plan.GraphSteps(_lengths[row]) * outputs[k].Inner : stride;
                        _resultStart[k][row] = written[k];
                        _resultLength[k][row] = valid;
                        if (outputs[k].IsFloat)
                        {
                            _floatResults[k] = Grow(_floatResults[k], written[k] + valid);
                            workspace.FloatOutput(k).Slice(i * stride, valid).CopyTo(_floatResults[k].AsSpan(written[k]));
                        }
                        else
                        {
                            _longResults[k] = Grow(_longResults[k], written[k] + valid);
                            workspace.Int64Output(k).Slice(i * stride, valid).CopyTo(_longResults[k].AsSpan(written[k]));
                        }
                        written[k] += valid;
                    }
                }
            }
        }

        // Copies one row's input into the window's store, checks it and returns its length in steps.
        private int ReadRow(int row, long position)
        {
            string column = _parent._source.Name;
            var plan = _scorer.Plan;
            int start = _inputStart[row];
            int steps;
            switch (_kind)
            {
                case SequenceInputKind.TokenIds when _longIds is not null:
                    _longIds(ref _longRow);
                    _ids = Grow(_ids, start + _longRow.Length);
                    _longRow.CopyTo(_ids.AsSpan(start, _longRow.Length));
                    _scorer.CheckIds(_ids.AsSpan(start, _longRow.Length), position, column);
                    steps = plan.FedSteps(_longRow.Length);
                    break;
                case SequenceInputKind.TokenIds:
                    _intIds!(ref _intRow);
                    int count = _intRow.Length;
                    _ids = Grow(_ids, start + count);
                    if (_intValues.Length < count)
                        _intValues = new int[Math.Max(count, _intValues.Length * 2)];
                    _intRow.CopyTo(_intValues.AsSpan(0, count));
                    var span = _ids.AsSpan(start, count);
                    for (int i = 0; i < count; i++)
                        span[i] = _intValues[i];
                    _scorer.CheckIds(span, position, column);
                    steps = plan.FedSteps(count);
                    break;
                case SequenceInputKind.Features:
                    _features!(ref _featureRow);
                    _values = Grow(_values, start + _featureRow.Length);
                    _featureRow.CopyTo(_values.AsSpan(start, _featureRow.Length));
                    _scorer.CheckFeatures(_values.AsSpan(start, _featureRow.Length), position, column);
                    steps = _featureRow.Length / _scorer.InputSize;
                    break;
                default:
                    _tokens!(ref _tokenRow);
                    _scorer.CheckLength(_tokenRow.Length, position, column);
                    steps = plan.FedSteps(_tokenRow.Length);
                    if (_denseTokens.Length < _tokenRow.Length)
                        _denseTokens = new ReadOnlyMemory<char>[Math.Max(_tokenRow.Length, _denseTokens.Length * 2)];
                    _tokenRow.CopyTo(_denseTokens.AsSpan(0, _tokenRow.Length));
                    // Token i of the window ends at _tokenEnds[start + i]; the characters are copied because the upstream may reuse them.
                    _tokenEnds = Grow(_tokenEnds, start + steps);
                    int end = start == 0 ? 0 : _tokenEnds[start - 1];
                    for (int i = 0; i < steps; i++)
                    {
                        var token = _denseTokens[i].Span;
                        _chars = Grow(_chars, end + token.Length);
                        token.CopyTo(_chars.AsSpan(end));
                        end += token.Length;
                        _tokenEnds[start + i] = end;
                    }
                    break;
            }
            _inputStart[row + 1] = start + (_kind == SequenceInputKind.Features ? steps * _scorer.InputSize : steps);
            return steps;
        }

        private void Fill(SequenceBatchWorkspace workspace, ReadOnlySpan<int> batch)
        {
            int width = workspace.Width;
            switch (_kind)
            {
                case SequenceInputKind.TokenIds:
                {
                    var ids = workspace.Ids;
                    ids.Clear();
                    for (int i = 0; i < batch.Length; i++)
                        _ids.AsSpan(_inputStart[batch[i]], _lengths[batch[i]]).CopyTo(ids.Slice(i * width));
                    break;
                }
                case SequenceInputKind.Features:
                {
                    var features = workspace.Features;
                    features.Clear();
                    int size = _scorer.InputSize;
                    for (int i = 0; i < batch.Length; i++)
                        _values.AsSpan(_inputStart[batch[i]], _lengths[batch[i]] * size).CopyTo(features.Slice(i * width * size));
                    break;
                }
                default:
                    for (int i = 0; i < batch.Length; i++)
                    {
                        int row = batch[i];
                        int first = _inputStart[row];
                        for (int c = 0; c < width; c++)
                        {
                            if (c < _lengths[row])
                            {
                                int tokenStart = first + c == 0 ? 0 : _tokenEnds[first + c - 1];
                                workspace.SetToken(_chars.AsSpan(tokenStart, _tokenEnds[first + c] - tokenStart), i * width + c);
                            }
                            else
                            {
                                workspace.SetToken(ReadOnlySpan<char>.Empty, i * width + c);
                            }
                        }
                    }
                    break;
            }
        }

        // Appends keep what the window holds so far, so growing copies it.
        private static T[] Grow<T>(T[] buffer, int size)
        {
            if (buffer.Length < size)
                Array.Resize(ref buffer, Math.Max(size, buffer.Length * 2));
            return buffer;
        }
    }
}
