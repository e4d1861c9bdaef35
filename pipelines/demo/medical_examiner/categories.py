"""The kinds of death the synthetic archive draws (index = category number in every table)."""

#: Drug overdose, homicide, suicide, natural, other accident, cold-related, heat-related,
#: COVID-19 and undetermined deaths.
OD, HOM, SUI, NAT, ACC, COLD, HEAT, COVID, UND = range(9)
N_CAT = 9
