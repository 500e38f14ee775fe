"""A bare DRF create endpoint, the baseline of the intake API figure (bench/bench_intake.py).

`POST /bench/drf-create/` with `{"year": …, "decision": …}`: token authentication, a
ModelSerializer on a one-table model (portal.models.CalendarYear, whose unique `year` costs one
extra SELECT, as most creates do) and a CreateAPIView. Mounted only when BENCH_ENDPOINTS=1
(portal/urls.py); bench_intake deletes the rows it made (years ≥ BENCH_YEAR_FROM).
"""

from rest_framework import generics, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated

from portal.models import CalendarYear

BENCH_YEAR_FROM = 100_000_000  # no real calendar year is this large


class CalendarYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarYear
        fields = ["year", "decision"]


class DrfCreate(generics.CreateAPIView):
    queryset = CalendarYear.objects.all()
    serializer_class = CalendarYearSerializer
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
