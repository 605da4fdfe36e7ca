using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetRnn.Transforms.Data;

/// <summary>Schema checks that fail early with messages naming the column, the expected and the actual type.</summary>
internal static class SchemaValidation
{
    /// <summary>Finds a column or throws an error that lists the columns that do exist.</summary>
    /// <exception cref="ArgumentException">No column has that name.</exception>
    public static DataViewSchema.Column RequireColumn(DataViewSchema schema, string columnName, string role)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var column = schema.GetColumnOrNull(columnName);
        if (column is null)
        {
            string available = string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}' ({Describe(c.Type)})"));
            throw new ArgumentException(
                $"The {role} column '{columnName}' is not in the data. Available columns: {(available.Length == 0 ? "none" : available)}. " +
                $"Set the {role} column name option to one of them.");
        }
        return column.Value;
    }

    /// <summary>Requires a scalar <see cref="float"/> (Single) column.</summary>
    /// <exception cref="ArgumentException">The column is missing or not a scalar Single.</exception>
    public static DataViewSchema.Column RequireScalarSingle(DataViewSchema schema, string columnName, string role)
    {
        var column = RequireColumn(schema, columnName, role);
        if (column.Type != NumberDataViewType.Single)
            throw new ArgumentException(
                $"The {role} column '{columnName}' must be a scalar Single (float), but it is {Describe(column.Type)}. " +
                $"Convert it first, e.g. mlContext.Transforms.Conversion.ConvertType(\"{columnName}\", outputKind: DataKind.Single), " +
                "or load it as float.");
        return column;
    }

    /// <summary>Requires a vector-of-Single column of exactly <paramref name="size"/> values.</summary>
    /// <exception cref="ArgumentException">The column is missing, not a float vector, or has another size.</exception>
    public static DataViewSchema.Column RequireSingleVector(DataViewSchema schema, string columnName, string role, int size)
    {
        var column = RequireColumn(schema, columnName, role);
        if (column.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single)
            throw new ArgumentException(
                $"The {role} column '{columnName}' must be a vector of Single (float[{size}]), but it is {Describe(column.Type)}.");
        if (vector.Size != size)
            throw new ArgumentException(
                $"The {role} column '{columnName}' must hold {size} values per row, but its type is {Describe(column.Type)}. " +
                $"Make the column a fixed-size vector of {size} (e.g. [VectorType({size})]) or change the size option to match.");
        return column;
    }

    /// <summary>Requires a scalar text (String) column.</summary>
    /// <exception cref="ArgumentException">The column is missing or not text.</exception>
    public static DataViewSchema.Column RequireText(DataViewSchema schema, string columnName, string role)
    {
        var column = RequireColumn(schema, columnName, role);
        if (column.Type is not TextDataViewType)
            throw new ArgumentException(
                $"The {role} column '{columnName}' must be text (String), but it is {Describe(column.Type)}. Load it as string.");
        return column;
    }

    /// <summary>Reads every value of a text column, in row order.</summary>
    /// <exception cref="ArgumentException">The column is missing or not text.</exception>
    public static List<string> ReadText(IDataView data, string columnName, string role)
    {
        ArgumentNullException.ThrowIfNull(data);
        var column = RequireText(data.Schema, columnName, role);
        var values = new List<string>();
        using var cursor = data.GetRowCursor(new[] { column });
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            values.Add(value.ToString());
        }
        return values;
    }

    /// <summary>A short human-readable description of a column type, e.g. <c>Single</c>, <c>Vector&lt;Single, 12&gt;</c>.</summary>
    public static string Describe(DataViewType type) => type switch
    {
        VectorDataViewType v when v.Size == 0 => $"Vector<{v.ItemType.RawType.Name}> of variable size",
        VectorDataViewType v => $"Vector<{v.ItemType.RawType.Name}, {v.Size}>",
        KeyDataViewType k => $"Key<{k.RawType.Name}, {k.Count}>",
        _ => type.RawType.Name,
    };

    /// <summary>
    /// The names of a key column's values in key order: its text key values, or numeric ones as invariant text (MapValueToKey of a
    /// number), or "1".."count" when it has none.
    /// </summary>
    public static string[] KeyNames(DataViewSchema.Column column, int count)
    {
        if (column.HasKeyValues() && column.Annotations.Schema["KeyValues"].Type is VectorDataViewType { ItemType: TextDataViewType })
        {
            VBuffer<ReadOnlyMemory<char>> names = default;
            column.GetKeyValues(ref names);
            return names.DenseValues().Select(n => n.ToString()).ToArray();
        }
        // HasKeyValues() asks for text values only; keys over numbers carry a KeyValues annotation of their own type.
        if (column.Annotations.Schema.GetColumnOrNull("KeyValues")?.Type is VectorDataViewType { ItemType: var item })
        {
            // Keys over numbers (MapValueToKey of an int or float label) keep their values: their text is the class name.
            string[]? numeric = item.RawType switch
            {
                var t when t == typeof(float) => Values<float>(column),
                var t when t == typeof(double) => Values<double>(column),
                var t when t == typeof(int) => Values<int>(column),
                var t when t == typeof(long) => Values<long>(column),
                var t when t == typeof(uint) => Values<uint>(column),
                _ => null,
            };
            if (numeric is not null)
                return numeric;
        }
        return Enumerable.Range(1, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    private static string[] Values<T>(DataViewSchema.Column column) where T : IFormattable
    {
        VBuffer<T> values = default;
        column.GetKeyValues(ref values);
        return values.DenseValues().Select(v => v.ToString(null, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}
