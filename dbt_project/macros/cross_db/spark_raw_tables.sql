{#- On the spark target (an on-run-start hook; nothing on DuckDB): register every table of the
    source `raw` as an external Parquet table raw.<table> over <var adrpulse_spark_raw_dir>/<table>,
    the folder `adrpulse build --target spark` exports it to from the DuckDB warehouse
    (warehouse/spark_export.py). Re-registered on every run, so a new export is always the one
    read; dropping an external table leaves its files alone. -#}
{% macro register_spark_raw_tables() -%}
    {%- if target.type == 'spark' and execute -%}
        {%- set raw_dir = var('adrpulse_spark_raw_dir') -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for source in graph.sources.values() | selectattr('source_name', 'equalto', 'raw') -%}
            {%- do run_query('drop table if exists raw.' ~ source.name) -%}
            {%- do run_query(
                'create table raw.' ~ source.name ~ " using parquet location '"
                ~ raw_dir ~ '/' ~ source.name ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
