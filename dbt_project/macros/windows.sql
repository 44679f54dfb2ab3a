{#- Label of a relative-day window, e.g. [0,0], [0,+1], [-1,+1], [-5,+5]. -#}
{% macro window_label(start, end) -%}
    {%- set s = '0' if start == 0 else '%+d' % start -%}
    {%- set e = '0' if end == 0 else '%+d' % end -%}
    [{{ s }},{{ e }}]
{%- endmacro %}

{#- The summary windows of var('summary_windows') as rows (window_label, window_start, window_end). -#}
{% macro summary_windows_relation() -%}
    {%- for w in var('summary_windows') %}
    select
        '{{ window_label(w[0], w[1]) }}' as window_label,
        {{ w[0] }} as window_start,
        {{ w[1] }} as window_end
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
